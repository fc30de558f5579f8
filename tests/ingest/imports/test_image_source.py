"""Finding the images a row names, in a ZIP or a folder, as archivers and cameras name them."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import zipfile

import pytest

from ingest.imports.image_source import (
    FolderImages,
    ImageChecker,
    ImageProblem,
    ZipImages,
    ZipLimits,
    entry_name,
)
from tests.ingest.imports.conftest import HEADERS, csv_bytes, jpeg, png, problems, zip_bytes

LIMITS = ZipLimits(max_entries=100, max_unpacked_bytes=10**9, max_ratio=100)


def test_names_match_regardless_of_case_unicode_form_and_folder(write):
    archive = write(
        "p.zip",
        zip_bytes(
            {
                "Export/Photos/IMG_0001.JPG": jpeg(),
                "Export/Photos/人参.jpg": jpeg(),
                "a/same.jpg": jpeg(),
                "b/same.jpg": jpeg(),
                "__MACOSX/Export/._IMG_0001.JPG": b"junk",
                ".DS_Store": b"junk",
            }
        ),
    )
    source = ZipImages(archive, "p.zip", LIMITS)
    assert source.find("img_0001.jpg") == "Export/Photos/IMG_0001.JPG"
    assert source.find("photos\\img_0001.jpg") == "Export/Photos/IMG_0001.JPG"
    assert source.find("./Export/photos/img_0001.JPG") == "Export/Photos/IMG_0001.JPG"
    assert source.find("人参.JPG") == "Export/Photos/人参.jpg"
    assert source.find("A/SAME.jpg") == "a/same.jpg"
    with pytest.raises(ImageProblem, match=r"matches several files: a/same\.jpg, b/same\.jpg"):
        source.find("same.jpg")
    with pytest.raises(ImageProblem) as missing:
        source.find("IMG_0002.JPG")
    assert "IMG_0001.JPG" in missing.value.fix  # the close match is suggested
    assert source.count == 4


class _GbkName(zipfile.ZipInfo):
    """An entry named in GBK without the UTF-8 flag, as archivers on Chinese Windows write."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def test_gbk_encoded_entry_names_are_read_as_chinese(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_GbkName("照片/红松.jpg"), jpeg())
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        [info] = archive.infolist()
        assert info.filename != "照片/红松.jpg"  # what Python makes of it by itself
        assert entry_name(info) == "照片/红松.jpg"
    source = ZipImages(write("gbk.zip", buffer.getvalue()), "gbk.zip", LIMITS)
    assert source.find("红松.jpg") == "照片/红松.jpg"
    assert source.open("照片/红松.jpg").read(2) == b"\xff\xd8"


def test_a_folder_source_does_not_follow_links_out_of_it(tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(jpeg())
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "Pine.PNG").write_bytes(png())
    os.symlink(outside, folder / "linked.jpg")
    source = FolderImages(folder, "photos")
    assert source.find("pine.png") == "sub/Pine.PNG"
    with pytest.raises(ImageProblem, match="not in photos"):
        source.find("linked.jpg")


def test_each_image_is_read_and_verified_once_and_dry_runs_keep_no_copies(tmp_path, write):
    archive = write("p.zip", zip_bytes({"a.jpg": jpeg(), "b.txt": b"not an image"}))
    work = tmp_path / "work"
    checker = ImageChecker(
        ZipImages(archive, "p.zip", LIMITS),
        work,
        max_bytes=10**6,
        max_pixels=10**7,
        keep_files=False,
    )
    first = checker.check("A.JPG")
    assert first is not checker.check("a.jpg") and first.sha256 == checker.check("a.jpg").sha256
    assert (first.verified.width, first.path) == (320, None)
    with pytest.raises(ImageProblem, match="not an image file"):
        checker.check("b.txt")
    assert checker.verified_count == 1
    assert list(work.iterdir()) == []


def test_a_folder_of_images_is_imported_from_the_cli_path(run, write, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "ginseng.jpg").write_bytes(jpeg())
    rows = [HEADERS, ["A-1", "人参", "P", "植物", "", "", "GINSENG.jpg"]]
    job = run(write("t.csv", csv_bytes(rows)), folder)
    assert not problems(job) and job.counts["images"] == 1
    assert job.files["images"]["kind"] == "folder"
    assert (folder / "ginseng.jpg").exists()  # the user's folder is left alone


def _unpacked(archive, name: str, tmp_path) -> tuple[str, bytes]:
    checker = ImageChecker(
        ZipImages(archive, "p.zip", LIMITS),
        tmp_path / "work",
        max_bytes=10**6,
        max_pixels=10**7,
        keep_files=True,
    )
    checked = checker.check(name)
    return checked.sha256, checked.path.read_bytes()


@pytest.mark.parametrize("kernel_copy", [True, False], ids=["kernel-copy", "no-kernel-copy"])
def test_a_stored_entry_is_unpacked_byte_for_byte(write, tmp_path, monkeypatch, kernel_copy):
    # Cameras' JPEGs are zipped without compression; those entries are copied by the kernel
    # from the archive file, or read and written where the file system cannot do that.
    photo = jpeg((900, 600), "teal")
    archive = write("p.zip", zip_bytes({"extra/a.jpg": photo}, zipfile.ZIP_STORED))
    if not kernel_copy:

        def refused(*args):
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", refused)
    sha256, data = _unpacked(archive, "a.jpg", tmp_path)
    assert data == photo and sha256 == hashlib.sha256(photo).hexdigest()


def test_a_stored_entry_whose_bytes_changed_in_the_archive_is_damaged(write, tmp_path):
    photo = jpeg((900, 600), "teal")
    packed = bytearray(zip_bytes({"a.jpg": photo}, zipfile.ZIP_STORED))
    at = packed.index(photo[200:216]) + 8
    packed[at] ^= 0xFF  # one byte inside the entry: its CRC-32 no longer matches
    archive = write("p.zip", bytes(packed))
    with pytest.raises(ImageProblem, match=r"a\.jpg is damaged inside the ZIP"):
        _unpacked(archive, "a.jpg", tmp_path)
    assert list((tmp_path / "work").iterdir()) == []
