"""Verification of uploads: what is accepted, what is refused, and what the uploader is told."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PIL import Image, ImageFile, features

from repository.images.verify import ImageRejected, check_size, verify_image
from tests.ingest import image_factory as make

MAX_PIXELS = 100_000_000
needs_webp = pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")


def rejection(path: Path, filename: str, max_pixels: int = MAX_PIXELS) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        verify_image(path, filename, max_pixels=max_pixels)
    assert caught.value.filename == filename
    return caught.value


# Accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("write", "filename", "format", "mime_type"),
    [
        (lambda p: make.jpeg(p, (600, 400)), "photo.jpg", "JPEG", "image/jpeg"),
        (lambda p: make.png_with_alpha(p, (600, 400)), "leaf.png", "PNG", "image/png"),
        (
            lambda p: make.save(make.quadrants((600, 400)), p, "TIFF"),
            "scan.tif",
            "TIFF",
            "image/tiff",
        ),
        (lambda p: make.sixteen_bit_tiff(p, (600, 400)), "scan16.tif", "TIFF", "image/tiff"),
        pytest.param(
            lambda p: make.save(make.quadrants((600, 400)), p, "WEBP"),
            "web.webp",
            "WEBP",
            "image/webp",
            marks=needs_webp,
        ),
    ],
    ids=["jpeg", "png-with-alpha", "tiff", "16-bit-tiff", "webp"],
)
def test_supported_images_are_accepted_with_their_type_and_size(
    tmp_path: Path, write, filename: str, format: str, mime_type: str
) -> None:
    path = write(tmp_path / "upload")

    verified = verify_image(path, filename, max_pixels=MAX_PIXELS)

    assert (verified.format, verified.mime_type) == (format, mime_type)
    assert (verified.width, verified.height) == (600, 400)
    assert verified.orientation == 1


def test_the_content_decides_the_format_not_the_file_name(tmp_path: Path) -> None:
    path = make.save(make.quadrants((120, 80)), tmp_path / "photo.jpg", "PNG")

    verified = verify_image(path, "photo.jpg", max_pixels=MAX_PIXELS)

    assert (verified.format, verified.mime_type) == ("PNG", "image/png")


def test_a_sideways_photo_reports_the_size_it_is_displayed_at(tmp_path: Path) -> None:
    # A landscape picture taken with the camera turned: stored 400 wide, 600 high.
    path = make.jpeg(tmp_path / "sideways.jpg", (600, 400), orientation=6)
    with Image.open(path) as stored:
        assert stored.size == (400, 600)

    verified = verify_image(path, "sideways.jpg", max_pixels=MAX_PIXELS)

    assert (verified.width, verified.height) == (600, 400)
    assert verified.orientation == 6


# Refused -------------------------------------------------------------------------------------


def test_a_text_file_named_jpg_is_not_an_image(tmp_path: Path) -> None:
    path = make.text_file(tmp_path / "upload")

    refused = rejection(path, "photo.jpg")

    assert refused.code == "not_image"
    assert str(refused.message) == (
        "photo.jpg is not an image file (the content is not JPEG, PNG, TIFF or WebP)."
    )
    assert refused.message.localized("zh_Hans_CN") == (
        "photo.jpg 不是图像文件（其内容不是 JPEG、PNG、TIFF 或 WebP 格式）。"
    )


@pytest.mark.parametrize(("format", "filename"), [("GIF", "anim.gif"), ("BMP", "paint.jpg")])
def test_other_image_formats_are_refused_naming_the_accepted_ones(
    tmp_path: Path, format: str, filename: str
) -> None:
    path = make.save(make.quadrants((60, 40)), tmp_path / "upload", format)

    refused = rejection(path, filename)

    assert refused.code == "unsupported_format"
    assert str(refused.message) == (
        f"{filename} is in {format} format, which is not accepted; "
        "please upload JPEG, PNG, TIFF or WebP."
    )
    assert f"{format} 格式的图像，不受支持" in refused.message.zh


def test_an_iphone_heic_photo_is_refused_by_name(tmp_path: Path) -> None:
    # The opening "ftyp" box of an HEIC file; Pillow cannot read HEIC at all.
    box = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(box + b"\x00" * 100)

    refused = rejection(path, "IMG_0001.HEIC")

    assert refused.code == "unsupported_format"
    assert "IMG_0001.HEIC is in HEIC format" in refused.message


@pytest.mark.parametrize(
    ("write", "filename"),
    [(make.truncated_jpeg, "cut.jpg"), (make.truncated_png, "cut.png")],
    ids=["jpeg", "png"],
)
def test_an_incomplete_upload_is_refused_as_damaged(tmp_path: Path, write, filename) -> None:
    path = write(tmp_path / filename)

    refused = rejection(path, filename)

    assert refused.code == "damaged"
    assert str(refused.message) == (
        f"{filename} is damaged or incomplete and cannot be read; please upload it again."
    )
    assert refused.message.localized("zh") == f"{filename} 已损坏或不完整，无法读取；请重新上传。"


def test_a_photograph_missing_only_its_last_kilobytes_is_refused(tmp_path: Path) -> None:
    # JPEGs are checked at 1/8 scale; that still has to read the image data to its very end.
    whole = make.noisy_jpeg(tmp_path / "whole.jpg", (2400, 1600)).read_bytes()
    path = tmp_path / "almost.jpg"
    path.write_bytes(whole[:-4096])

    refused = rejection(path, "almost.jpg")

    assert refused.code == "damaged"
    assert "almost.jpg is damaged or incomplete" in refused.message


def test_a_large_photograph_is_reported_at_its_full_size(tmp_path: Path) -> None:
    path = make.jpeg(tmp_path / "camera.jpg", (6000, 4000))

    verified = verify_image(path, "camera.jpg", max_pixels=MAX_PIXELS)

    assert (verified.format, verified.width, verified.height) == ("JPEG", 6000, 4000)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")

    refused = rejection(path, "empty.jpg")

    assert refused.code == "empty"
    assert "empty.jpg is empty" in refused.message
    assert "空文件" in refused.message.zh


def test_a_decompression_bomb_is_refused_from_its_header_alone(tmp_path: Path) -> None:
    # 1.6 gigapixels in a few hundred kilobytes: decoding it would need 1.6 GB of memory.
    path = make.bomb_png(tmp_path / "bomb.png", 40_000, 40_000)
    assert path.stat().st_size < 1_000_000
    limit_before = Image.MAX_IMAGE_PIXELS

    refused = rejection(path, "bomb.png")

    assert refused.code == "too_many_pixels"
    assert str(refused.message) == (
        "bomb.png is 40000 × 40000 pixels (1,600,000,000 pixels), "
        "more than the limit of 100,000,000 pixels."
    )
    assert "40000 × 40000 像素" in refused.message.zh
    assert limit_before == Image.MAX_IMAGE_PIXELS  # Pillow's global setting is left alone


def test_the_pixel_limit_is_the_callers_not_pillows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = make.jpeg(tmp_path / "photo.jpg", (1500, 1000))

    # Stricter than Pillow: refused although Pillow would happily open it.
    assert rejection(photo, "photo.jpg", max_pixels=1_000_000).code == "too_many_pixels"

    # Looser than Pillow: Pillow's own (here tiny) limit does not get in the way.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    verified = verify_image(photo, "photo.jpg", max_pixels=2_000_000)
    assert (verified.width, verified.height) == (1500, 1000)


def test_pillows_own_size_guard_is_reported_as_too_many_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow's TIFF decoder checks its global limit while decoding; that, too, must reach the
    # uploader as a clear refusal rather than as a crash.
    path = make.save(make.quadrants((200, 100)), tmp_path / "scan.tif", "TIFF")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    refused = rejection(path, "scan.tif")

    assert refused.code == "too_many_pixels"
    assert "scan.tif is 200 × 100 pixels" in refused.message


def test_incomplete_files_cannot_slip_through_a_lenient_global_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make.truncated_jpeg(tmp_path / "cut.jpg")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        verify_image(path, "cut.jpg", max_pixels=MAX_PIXELS)


def test_a_declared_size_over_the_limit_is_refused_before_reading() -> None:
    check_size(50 * 1024 * 1024, 50 * 1024 * 1024, "exactly-at-limit.tif")

    with pytest.raises(ImageRejected) as caught:
        check_size(50 * 1024 * 1024 + 1, 50 * 1024 * 1024, "huge.tif")

    assert caught.value.code == "too_large"
    assert str(caught.value.message) == "huge.tif is larger than the upload limit of 50 MB."
    assert caught.value.message.localized("zh_Hans_CN") == "huge.tif 超过了 50 MB 的上传大小限制。"
