"""Every kind of bad input gets a clear message naming row and column, and nothing of it is kept."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from PIL import Image

from ingest.imports import ImportRejected, start_import
from repository.images import file_store
from repository.images.derivatives import load_derivative_set
from repository.images.tiles import load_tile_set
from repository.models import JobState
from tests.ingest.imports.conftest import (
    HEADERS,
    ROWS,
    csv_bytes,
    default_images,
    jpeg,
    problems,
    record_count,
    revision_count,
    zip_bytes,
)

GOOD = ["CBS-009", "红松", "Pinus koraiensis", "植物", "", "", ""]


def only_problem(job) -> dict:
    found = problems(job)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("change", "column", "complaint_en", "complaint_zh"),
    [
        ({2: ""}, "scientific_name", "is required", "为必填项"),
        ({3: "矿物"}, "kingdom", "is not one of the allowed values", "不在可选值中"),
        ({4: "北纬42度", 5: "128.1"}, "latitude", "not a decimal number", "不是十进制度数"),
        ({4: "42.1"}, "longitude", "latitude and longitude go together", "纬度和经度需同时填写"),
        ({1: "第一行\u0007"}, "title", "control character", "控制字符"),
    ],
)
def test_a_bad_value_fails_its_row_and_names_the_column(
    run, write, change, column, complaint_en, complaint_zh
):
    bad = list(GOOD)
    for index, value in change.items():
        bad[index] = value
    job = run(write("t.csv", csv_bytes([HEADERS, ROWS[2], bad])))
    problem = only_problem(job)
    assert (problem["row"], problem["column"]) == (3, column)
    assert complaint_en in problem["message_en"] and complaint_zh in problem["message_zh"]
    assert problem["fix_en"] and problem["fix_zh"]
    assert job.counts["created"] == 1 and record_count() == 1


def test_a_malformed_date_names_its_cell(run, write):
    rows = [
        ["local_id", "title", "scientific_name", "kingdom", "date"],
        ["A", "红松", "P", "植物", "2011-13-45"],
    ]
    problem = only_problem(run(write("t.csv", csv_bytes(rows))))
    assert (problem["row"], problem["column"], problem["cell"], problem["value"]) == (
        2,
        "date",
        "E2",
        "2011-13-45",
    )
    assert "2011-06-18" in problem["fix_en"]


def test_a_local_id_twice_in_one_file_fails_every_row_that_has_it(run, write):
    rows = [HEADERS, GOOD, ROWS[2], [*GOOD[:1], "红松（重复）", *GOOD[2:]]]
    job = run(write("t.csv", csv_bytes(rows)))
    repeated = problems(job)
    assert [(p["row"], p["value"]) for p in repeated] == [(2, "CBS-009"), (4, "CBS-009")]
    assert "row(s) 4" in repeated[0]["message_en"] and "第 2 行" in repeated[1]["message_zh"]
    assert job.counts["created"] == 1 and job.counts["failed"] == 2 and record_count() == 1


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        ([h for h in HEADERS if h != "scientific_name"], "required column scientific_name"),
        ([*HEADERS, "备注"], "Column “备注” is not a field"),
        ([*HEADERS, "中文名"], "means the same field as column “title”"),
    ],
)
def test_missing_unknown_or_repeated_columns_stop_the_import(run, write, headers, complaint):
    rows = [headers, [*GOOD, "", ""][: len(headers)]]
    job = run(write("t.csv", csv_bytes(rows)))
    assert job.state is JobState.FAILED
    assert complaint in job.error
    assert job.report[0]["row"] == 1 and job.report[0]["column"]
    assert record_count() == 0


def test_note_columns_and_headerless_cells(run, write):
    rows = [[*HEADERS, "# 备注"], [*GOOD, "内部说明"], [*ROWS[2], "", "多出来的"]]
    job = run(write("t.csv", csv_bytes(rows)))
    problem = only_problem(job)
    assert (problem["row"], problem["cell"]) == (3, "I3")
    assert job.counts["created"] == 1


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b'local_id,title,scientific_name,kingdom\r\nA,"open,P,x\r\nB,x,y,z\r\n', "never closed"),
        (csv_bytes([HEADERS, GOOD]) + csv_bytes([ROWS[2]], "gbk"), "mixes text encodings"),
        ("\ufeff".encode() + b"\r\n", "Row 1 is empty"),
        (csv_bytes([HEADERS]), "no rows to import"),
    ],
)
def test_unreadable_files_fail_the_job_and_store_nothing(run, write, data, complaint):
    job = run(write("t.csv", data))
    assert job.state is JobState.FAILED and complaint in job.error
    assert job.report and job.report[0]["message_zh"]
    assert (record_count(), revision_count()) == (0, 0)


def test_files_over_the_limits_are_refused(run, write, app, contributor, collection):
    empty = write("empty.csv", b"")
    with pytest.raises(ImportRejected, match="is empty"):
        start_import(contributor, collection, empty, None, dry_run=True)
    limit = app.config["MAX_UPLOAD_BYTES"]
    big = write("big.csv", csv_bytes([HEADERS]) + b"x" * limit)
    with pytest.raises(ImportRejected, match="larger than the upload limit"):
        start_import(contributor, collection, big, None, dry_run=True)

    app.config["IMPORT_MAX_ROWS"] = 2
    try:
        job = run(write("t.csv", csv_bytes([HEADERS, GOOD, ROWS[1], ROWS[2]])))
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    assert job.state is JobState.FAILED and "more than 2 rows" in job.error
    assert job.report[0]["row"] == 4 and record_count() == 0


def test_images_absent_not_images_or_too_large_fail_their_rows(run, write, app):
    noisy = io.BytesIO()
    Image.effect_noise((1100, 1100), 90).convert("RGB").save(noisy, "PNG")
    assert len(noisy.getvalue()) > app.config["MAX_UPLOAD_BYTES"]
    archive = zip_bytes(
        {
            "photos/ok.jpg": jpeg(),
            "photos/notes.jpg": "会议纪要".encode(),
            "photos/cut.jpg": jpeg((800, 600))[:600],
            "photos/huge.png": noisy.getvalue(),
            "photos/taxus-1.jpg": jpeg(colour="red"),
        }
    )
    rows = [
        HEADERS,
        ["A-1", "人参", "P", "植物", "", "", "ok.jpg"],
        ["A-2", "红松", "P", "植物", "", "", "ok.jpg; missing.jpg"],
        ["A-3", "红松", "P", "植物", "", "", "notes.jpg"],
        ["A-4", "红松", "P", "植物", "", "", "cut.jpg"],
        ["A-5", "红松", "P", "植物", "", "", "huge.png"],
        ["A-6", "红松", "P", "植物", "", "", "taxus-l.jpg"],
    ]
    job = run(write("t.csv", csv_bytes(rows)), write("p.zip", archive))
    found = {p["row"]: p for p in problems(job)}
    assert sorted(found) == [3, 4, 5, 6, 7]
    assert found[3]["value"] == "missing.jpg" and "not in p.zip" in found[3]["message_en"]
    assert found[3]["column"] == "images" and found[3]["cell"] == "G3"
    assert "not an image file" in found[4]["message_en"]
    assert "damaged or incomplete" in found[5]["message_en"]
    assert "larger than the upload limit" in found[6]["message_en"]
    assert "taxus-1.jpg" in found[7]["fix_en"]  # did you mean …
    assert job.counts["created"] == 1 and record_count() == 1


def test_a_row_that_fails_keeps_none_of_the_images_its_check_stored(run, write):
    # An import stores each image with its pyramid and tiles as it checks the row; a row that
    # fails after that (here its second image is damaged) takes its first one back out.
    photo, other = jpeg((2600, 1800), "darkgreen"), jpeg((900, 600), "navy")
    archive = zip_bytes({"photo.jpg": photo, "cut.jpg": jpeg((800, 600))[:600], "b.jpg": other})
    rows = [
        HEADERS,
        ["D-1", "红松", "P", "植物", "", "", "photo.jpg; cut.jpg"],
        ["D-2", "人参", "P", "植物", "", "", "b.jpg"],
    ]
    job = run(write("t.csv", csv_bytes(rows)), write("p.zip", archive))

    assert "damaged or incomplete" in only_problem(job)["message_en"]
    store = file_store()
    kept, gone = hashlib.sha256(other).hexdigest(), hashlib.sha256(photo).hexdigest()
    assert [path.name for path in (store.root / "originals").rglob("*") if path.is_file()] == [kept]
    assert load_derivative_set(store, gone) is None and load_tile_set(store, gone) is None
    assert load_derivative_set(store, kept) is not None


def test_images_named_without_an_archive(run, write):
    job = run(write("t.csv", csv_bytes([HEADERS, ROWS[0]])))
    assert "no images were uploaded" in only_problem(job)["message_en"]


def _zip_with_raw_name(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/ok.jpg", jpeg())
        info = zipfile.ZipInfo("placeholder")
        info.filename = name  # as a hostile archiver writes it, unsanitised
        archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "entry", ["../../etc/cron.d/evil.jpg", "/etc/passwd", "C:\\Windows\\evil.jpg", "a/../../b.jpg"]
)
def test_archives_with_paths_outside_them_are_refused(write, contributor, collection, entry):
    table = write("t.csv", csv_bytes([HEADERS, ROWS[0]]))
    archive = write("p.zip", _zip_with_raw_name(entry, jpeg()))
    with pytest.raises(ImportRejected, match="points outside the archive") as refused:
        start_import(contributor, collection, table, archive, dry_run=True)
    assert entry in refused.value.message and "压缩包之外" in refused.value.message.zh


def test_zip_bombs_are_refused_without_unpacking(write, app, contributor, collection):
    table = write("t.csv", csv_bytes([HEADERS, ROWS[0]]))
    bomb = write("bomb.zip", zip_bytes({"photos/ginseng.jpg": b"\0" * (16 * 1024 * 1024)}))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ImportRejected, match="ZIP bombs"):
        start_import(contributor, collection, table, bomb, dry_run=True)

    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 1000
    try:
        with pytest.raises(ImportRejected, match="would unpack to"):
            archive = write("p.zip", zip_bytes(default_images(), zipfile.ZIP_STORED))
            start_import(contributor, collection, table, archive, dry_run=True)
    finally:
        del app.config["IMPORT_MAX_UNPACKED_BYTES"]
