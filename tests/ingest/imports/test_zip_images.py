"""A ZIP of images: names as archivers write them, and entries unpacked exactly as packed."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from ingest.imports.image_source import ImageChecker, ImageProblem
from ingest.imports.zip_images import ZipImages, ZipLimits, entry_name
from tests.ingest.imports.conftest import jpeg, zip_bytes

LIMITS = ZipLimits(max_entries=100, max_unpacked_bytes=10**9, max_ratio=100)


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


def test_a_stored_entry_is_unpacked_byte_for_byte(write, tmp_path):
    # Cameras' JPEGs are zipped without compression.
    photo = jpeg((900, 600), "teal")
    archive = write("p.zip", zip_bytes({"extra/a.jpg": photo}, zipfile.ZIP_STORED))
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
