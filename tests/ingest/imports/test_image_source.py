"""Finding the images a row names, in a ZIP or a folder, as archivers and cameras name them."""

from __future__ import annotations

import os

import pytest

from ingest.imports.image_source import FolderImages, ImageChecker, ImageProblem
from ingest.imports.zip_images import ZipImages, ZipLimits
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
