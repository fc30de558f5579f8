"""Importing a batch as a cataloguer does: template, dry run, import, re-import, corrections."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from ingest.duplicates import flag_possible_duplicates
from ingest.imports import (
    ImportRejected,
    report_as_csv,
    report_as_xlsx,
    run_import,
    start_import,
    template_csv,
)
from repository.errors import PermissionDenied
from repository.extensions import db
from repository.images import file_store
from repository.images.derivatives import load_derivative_set
from repository.models import DuplicateCandidate, JobState, Record, RecordStatus
from repository.services import records
from tests.ingest.imports.conftest import (
    HEADERS,
    ROWS,
    csv_bytes,
    default_images,
    jpeg,
    png,
    problems,
    record_count,
    revision_count,
    xlsx_bytes,
    zip_bytes,
)


def by_local_id(local_id: str) -> Record:
    return db.session.scalar(select(Record).where(Record.local_id == local_id))


def test_a_new_user_fills_the_template_saves_gbk_dry_runs_imports_and_reimports(
    run, write, collection
):
    # Download the template and fill it in below its hint row, in Chinese, as Excel would.
    template = template_csv(collection).decode("utf-8-sig")
    header, hints = list(csv.reader(io.StringIO(template)))
    assert header[:3] == ["local_id", "title", "scientific_name"] and hints[0].startswith("#")
    filled = {
        "CBS-101": {
            "title": "人参",
            "scientific_name": "Panax ginseng C. A. Mey.",
            "kingdom": "植物",
            "aliases": "棒槌；山参",
            "latitude": "42.05",
            "longitude": "128.06",
            "date": "2011-06-18",
            "images": "人参-1.JPG; 人参-2.png",
        },
        "CBS-102": {
            "title": "东北红豆杉",
            "scientific_name": "Taxus cuspidata",
            "kingdom": "植物",
            "protection_level": "国家一级",
            "date": "2019年7月",
            "images": "红豆杉.jpg",
        },
        "CBS-103": {
            "title": "松茸",
            "scientific_name": "Tricholoma matsutake",
            "kingdom": "真菌",
            "latitude": "142.5",
            "longitude": "128.1",
        },  # bad row
        "CBS-104": {
            "title": "紫貂",
            "scientific_name": "Martes zibellina",
            "kingdom": "动物",
            "locality": "长白山北坡　",
            "photographer": "张三 ； 李四",
        },
    }
    rows = [header, hints] + [
        [local_id if key == "local_id" else values.get(key, "") for key in header]
        for local_id, values in filled.items()
    ]
    table = write("长白山.csv", csv_bytes(rows, "gbk"))
    images = write(
        "图片.zip",
        zip_bytes(
            {
                "图片/人参-1.jpg": jpeg(colour="olive"),
                "图片/人参-2.PNG": png(),
                "图片/红豆杉.jpg": jpeg(colour="darkred"),
            }
        ),
    )

    dry = run(table, images, dry_run=True)
    assert dry.state is JobState.SUCCEEDED
    assert dry.files["table"]["encoding"] == "gb18030"
    assert dry.counts == {"created": 3, "updated": 0, "unchanged": 0, "failed": 1, "images": 3}
    [bad] = problems(dry)
    assert (bad["row"], bad["column"], bad["field"], bad["value"]) == (
        5,
        "latitude",
        "latitude",
        "142.5",
    )
    assert bad["cell"] == f"{chr(ord('A') + header.index('latitude'))}5"
    assert "outside -90…90" in bad["message_en"] and "超出" in bad["message_zh"]
    assert "-90" in bad["fix_en"] and "经度" in bad["fix_zh"]
    assert record_count() == 0

    job = run(table, images, on_error="skip")
    assert job.state is JobState.SUCCEEDED
    assert job.counts["created"] == 3 and job.counts["failed"] == 1 and job.counts["images"] == 3
    assert job.processed_rows == job.total_rows == 4
    ginseng = by_local_id("CBS-101")
    assert ginseng.status is RecordStatus.DRAFT and ginseng.title == "人参"
    assert ginseng.metadata_["aliases"] == ["棒槌", "山参"]
    assert ginseng.metadata_["rights"] == collection.default_rights
    assert [(a.original_filename, a.mime_type) for a in ginseng.assets] == [
        ("人参-1.jpg", "image/jpeg"),
        ("人参-2.PNG", "image/png"),
    ]
    assert all(a.derivatives_ready for a in ginseng.assets)
    assert load_derivative_set(file_store(), ginseng.assets[0].sha256) is not None
    sable = by_local_id("CBS-104")
    assert sable.metadata_["locality"] == "长白山北坡"
    assert sable.metadata_["photographer"] == ["张三", "李四"]
    assert by_local_id("CBS-103") is None
    created = {e["local_id"]: e["record_id"] for e in job.report if e["outcome"] == "created"}
    assert created["CBS-101"] == ginseng.public_id
    revisions = revision_count()

    again = run(table, images)
    assert again.counts["unchanged"] == 3 and again.counts["created"] == 0
    assert again.counts["failed"] == 1
    assert (record_count(), revision_count()) == (3, revisions)
    assert len(by_local_id("CBS-101").assets) == 2


def test_a_corrected_file_updates_in_place_with_one_revision_per_changed_record(
    run, write, contributor
):
    images = write("photos.zip", zip_bytes(default_images()))
    run(write("v1.csv", csv_bytes([HEADERS, *ROWS])), images)
    ginseng = by_local_id("CBS-001")
    first_id, first_assets = ginseng.public_id, [a.public_id for a in ginseng.assets]
    revisions = revision_count()

    corrected = [list(row) for row in ROWS]
    corrected[0][1] = "人参（园参）"  # metadata changed
    corrected[1][6] = "taxus-2.png; taxus-1.jpg; ginseng.jpg"  # images reordered and added
    job = run(write("v2.csv", csv_bytes([HEADERS, *corrected])), images)

    assert job.counts["updated"] == 2 and job.counts["unchanged"] == 1
    assert revision_count() == revisions + 2
    ginseng = by_local_id("CBS-001")
    assert (ginseng.public_id, ginseng.title) == (first_id, "人参（园参）")
    assert [a.public_id for a in ginseng.assets] == first_assets
    assert ginseng.revisions[0].action == "edit"
    assert ginseng.revisions[0].metadata_before["title"] == "人参"
    taxus = by_local_id("CBS-002")
    assert [a.original_filename for a in taxus.assets] == [
        "taxus-2.png",
        "taxus-1.jpg",
        "Ginseng.jpg",
    ]
    assert job.counts["images"] == 1

    # An empty images cell leaves the images a record has (e.g. added on the web form).
    corrected[1][6] = ""
    run(write("v3.csv", csv_bytes([HEADERS, *corrected])), images)
    assert len(by_local_id("CBS-002").assets) == 3


def test_abort_writes_nothing_when_any_row_fails(run, write):
    rows = [HEADERS, *ROWS, ["CBS-004", "红松", "Pinus koraiensis", "矿物", "", "", ""]]
    job = run(
        write("t.csv", csv_bytes(rows)),
        write("p.zip", zip_bytes(default_images())),
        on_error="abort",
    )
    assert job.state is JobState.FAILED
    assert "nothing was imported" in job.error
    assert "未导入任何记录" in job.error_message.localized("zh_Hans_CN")
    assert job.counts == {"created": 0, "updated": 0, "unchanged": 0, "failed": 1}
    [bad] = problems(job)
    assert (bad["row"], bad["column"], bad["value"]) == (5, "kingdom", "矿物")
    assert "植物" in bad["fix_zh"]
    assert record_count() == 0 and revision_count() == 0
    # Nothing stays behind but the table (the report is in the database).
    folder = file_store().root / "imports" / job.public_id
    assert sorted(p.name for p in folder.iterdir()) == ["table.csv"]


def test_abort_imports_everything_when_every_row_is_valid(run, write):
    job = run(
        write("t.csv", csv_bytes([HEADERS, *ROWS])),
        write("p.zip", zip_bytes(default_images())),
        on_error="abort",
    )
    assert job.state is JobState.SUCCEEDED and job.counts["created"] == 3


def test_xlsx_with_chinese_and_english_headers(run, write):
    rows = [
        ["本馆标识", "中文名", "Scientific name", "类群", "海拔（米）", "拍摄日期", "别名"],
        [
            "X-1",
            "长白松",
            "Pinus sylvestris var. sylvestriformis",
            "Plants",
            "800-1600",
            "2011-06-18",
            "美人松",
        ],
        [2002, "红松", "Pinus koraiensis", "植物", 1200, 2011, None],
    ]
    job = run(write("t.xlsx", xlsx_bytes(rows)))
    assert job.counts["created"] == 2, job.report
    pine = by_local_id("X-1")
    assert pine.metadata_["kingdom"] == "植物"  # English label stored as the Chinese term
    assert pine.metadata_["aliases"] == ["美人松"]
    assert (pine.year_start, pine.year_end) == (2011, 2011)
    assert by_local_id("2002").metadata_["elevation_m"] == "1200"


def test_rows_are_keyed_by_library(run, write, make_user, collection):
    table = write("t.csv", csv_bytes([HEADERS, *ROWS[2:]]))
    first = run(table)
    other = make_user("contributor")
    job = run(table, user=other)
    assert job.counts["created"] == 1
    libraries = {r.library_id for r in db.session.scalars(select(Record))}
    assert libraries == {first.library_id, other.library_id} and record_count() == 2


def test_a_record_under_review_or_in_another_collection_is_not_changed(
    run, write, contributor, make_collection
):
    run(write("t.csv", csv_bytes([HEADERS, *ROWS[2:]])))
    records.submit_record(contributor, by_local_id("CBS-003"))
    changed = [HEADERS, ["CBS-003", "松口蘑", "Tricholoma matsutake", "真菌", "", "", ""]]
    job = run(write("t2.csv", csv_bytes(changed)))
    [bad] = problems(job)
    assert "awaiting review" in bad["message_en"] and bad["row"] == 2
    # Unchanged rows need no editing rights.
    same = run(write("t3.csv", csv_bytes([HEADERS, *ROWS[2:]])))
    assert same.counts["unchanged"] == 1

    elsewhere = make_collection("natural_history")
    job = run(write("t4.csv", csv_bytes(changed)), target=elsewhere)
    [bad] = problems(job)
    assert "another collection" in bad["message_en"] and bad["field"] == "local_id"


def test_publishing_on_import_is_for_reviewers_and_admins(run, write, make_user, collection):
    table = write("t.csv", csv_bytes([HEADERS, *ROWS[2:]]))
    with pytest.raises(PermissionDenied, match="Only reviewers"):
        run(table, publish=True)
    reviewer = make_user("reviewer", reviews=[collection])
    job = run(table, user=reviewer, publish=True)
    assert job.counts["published"] == 1
    record = by_local_id("CBS-003")
    assert record.status is RecordStatus.PUBLISHED and record.is_public
    assert [r.action for r in reversed(record.revisions)] == ["create", "submit", "publish"]
    assert run(table, user=reviewer, publish=True).counts["unchanged"] == 1


def test_reports_download_as_csv_and_xlsx(run, write):
    rows = [HEADERS, *ROWS[2:], ["=cmd|' /C calc'!A0", "", "x", "植物", "", "", ""]]
    job = run(write("t.csv", csv_bytes(rows)))
    data = report_as_csv(job)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:3] == ["行 Row", "单元格 Cell", "本馆标识 Local ID"]
    assert any(row[0] == "2" and "新建" in row[5] for row in table)
    assert all(not cell.startswith("=") for row in table for cell in row)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(report_as_xlsx(job))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "行 Row" and len(values) == len(table)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_bad_options_are_refused_before_a_job_exists(write, contributor, collection):
    table = write("t.csv", csv_bytes([HEADERS, *ROWS[2:]]))
    with pytest.raises(ImportRejected, match="skip or abort"):
        start_import(contributor, collection, table, None, dry_run=True, on_error="maybe")
    with pytest.raises(ImportRejected, match="not a known text encoding"):
        start_import(contributor, collection, table, None, dry_run=True, encoding="klingon")
    with pytest.raises(ImportRejected, match="does not exist"):
        start_import(contributor, collection, table.with_name("nope.csv"), None, dry_run=True)
    with pytest.raises(ImportRejected, match="not a ZIP archive"):
        start_import(contributor, collection, table, table, dry_run=True)


def test_a_dry_run_job_is_run_once(run, write):
    job = run(write("t.csv", csv_bytes([HEADERS, *ROWS[2:]])), dry_run=True)
    finished = job.finished_at
    assert run_import(job).finished_at == finished


def test_possible_duplicates_from_other_libraries_are_noted(run, write, collection, make_record):
    published = make_record(collection, title="人参", scientific_name="Panax ginseng C. A. Mey.")
    rows = [HEADERS, ["CBS-201", "人参", "Panax ginseng C. A. Mey.", "植物", "", "", ""]]
    job = run(write("t.csv", csv_bytes(rows)))
    assert job.counts["created"] == 1 and job.counts["possible_duplicates"] == 1
    [note] = [entry for entry in job.report if entry["level"] == "note"]
    assert note["row"] == 2 and published.public_id in note["message_en"]
    assert "同一对象" in note["message_zh"]


def test_a_note_names_public_records_only_and_counts_those_awaiting_review(
    run, write, collection, make_record
):
    published = make_record(collection, title="人参", scientific_name="Panax ginseng")
    submitted = make_record(
        collection, status=RecordStatus.SUBMITTED, title="人參", scientific_name="Panax ginseng"
    )
    rows = [HEADERS, ["CBS-301", "人参", "Panax ginseng C. A. Mey.", "植物", "", "", ""]]
    job = run(write("t.csv", csv_bytes(rows)))
    assert job.counts["possible_duplicates"] == 2
    [note] = [entry for entry in job.report if entry["level"] == "note"]
    assert published.public_id in note["message_en"] and "1 awaiting review" in note["message_en"]
    assert submitted.public_id not in note["message_en"] + note["message_zh"]
    assert "1 条待审核" in note["message_zh"]


def test_only_rows_alike_another_librarys_records_are_noted(
    run, write, collection, contributor, make_record
):
    """The importing library's own records never count, however many share a name."""
    own = make_record(collection, contributor, title="红松", scientific_name="Pinus koraiensis")
    elsewhere = make_record(collection, title="松茸", scientific_name="Tricholoma matsutake")
    rows = [HEADERS]
    rows += [[f"PK-{n}", "红松", "Pinus koraiensis", "植物", "", "", ""] for n in range(30)]
    rows += [["TM-1", "松茸", "Tricholoma matsutake Singer", "真菌", "", "", ""]]
    rows += [["TM-2", "松茸", "Tricholoma bakamatsutake", "真菌", "", "", ""]]  # another species
    job = run(write("t.csv", csv_bytes(rows)))
    assert job.counts["created"] == 32 and job.counts["possible_duplicates"] == 1
    [note] = [entry for entry in job.report if entry["level"] == "note"]
    assert note["local_id"] == "TM-1" and elsewhere.public_id in note["message_en"]
    assert own.public_id not in {entry.get("record_id") for entry in job.report}
    # The new drafts' keys are stored, so a later save of another library pairs with them too.
    later = make_record(collection, title="紅松", scientific_name="Pinus koraiensis Siebold")
    assert [pair.other(later) for pair in flag_possible_duplicates(later)] == [own]
    paired = db.session.scalar(
        select(func.count(DuplicateCandidate.id)).where(
            DuplicateCandidate.record_high_id == later.id
        )
    )
    assert paired == 31


def test_the_files_a_dry_run_checked_are_imported_without_uploading_again(
    run, write, contributor, make_user
):
    from ingest.imports import start_import_again

    images = write("p.zip", zip_bytes(default_images()))
    dry = run(write("checked.csv", csv_bytes([HEADERS, *ROWS])), images, dry_run=True)
    images.unlink()  # the user's copy is gone; the job kept its own
    with pytest.raises(PermissionDenied, match="Only the library that uploaded"):
        start_import_again(make_user("contributor"), dry)
    job = run_import(start_import_again(contributor, dry))
    assert job.counts["created"] == 3 and job.counts["images"] == 3
    assert job.files["table"]["name"] == "checked.csv"
    with pytest.raises(ImportRejected, match="no longer kept"):
        start_import_again(contributor, job)
