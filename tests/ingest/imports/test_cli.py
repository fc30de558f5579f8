"""``huiku import`` and ``huiku import-template`` as an administrator runs them."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from repository.extensions import db
from repository.models import IngestJob, Record, RecordStatus
from tests.ingest.imports.conftest import (
    HEADERS,
    ROWS,
    csv_bytes,
    default_images,
    record_count,
    zip_bytes,
)


@pytest.fixture
def huiku(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=[str(a) for a in args])

    return run


@pytest.fixture
def library(contributor):
    return contributor.library


def test_template_then_dry_run_then_import(huiku, collection, library, tmp_path, write):
    template = tmp_path / "template.csv"
    result = huiku("import-template", collection.slug, template)
    assert result.exit_code == 0, result.output
    header, hints = list(csv.reader(io.StringIO(template.read_text("utf-8-sig"))))
    assert header[0] == "local_id" and hints[0].startswith("#")
    workbook = tmp_path / "template.xlsx"
    assert huiku("import-template", collection.slug, workbook).exit_code == 0
    assert load_workbook(workbook).sheetnames == ["records 记录", "guide 说明"]

    bad = [*ROWS, ["CBS-004", "红松", "Pinus koraiensis", "植物", "91", "128", ""]]
    table = write("t.csv", csv_bytes([HEADERS, *bad], "gbk"))
    images = write("p.zip", zip_bytes(default_images()))
    result = huiku(
        "import", collection.slug, table, "--library", library.code, "--images", images, "--dry-run"
    )
    assert result.exit_code == 1
    assert "Checking t.csv as " in result.output
    assert "新建 created 3" in result.output and "失败 failed 1" in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("5 "))
    assert "E5" in line and "latitude" in line and "91" in line and "超出" in line
    assert record_count() == 0

    report = tmp_path / "report.xlsx"
    result = huiku(
        "import",
        collection.slug,
        table,
        "--library",
        library.code,
        "--images",
        images,
        "--report",
        report,
    )
    assert result.exit_code == 1  # a row failed, the others are in
    assert record_count() == 3
    assert "Report written to" in result.output
    assert load_workbook(report).active["A1"].value == "行 Row"

    ok = write("ok.csv", csv_bytes([HEADERS, *ROWS]))
    result = huiku("import", collection.slug, ok, "--library", library.code, "--images", images)
    assert result.exit_code == 0, result.output
    assert "未变 unchanged 3" in result.output


def test_the_acting_user_is_named_or_chosen_from_the_library(
    huiku, collection, contributor, make_user, write
):
    table = write("t.csv", csv_bytes([HEADERS, ROWS[2]]))
    code = contributor.library.code
    result = huiku(
        "import", collection.slug, table, "--library", code, "--as", "nobody@example.org"
    )
    assert result.exit_code == 1 and "is not a user of library" in result.output
    result = huiku("import", collection.slug, table, "--library", code, "--publish")
    assert result.exit_code == 1 and "Only reviewers" in result.output
    assert db.session.scalar(select(IngestJob)) is None

    admin = make_user("admin", library=contributor.library)
    result = huiku("import", collection.slug, table, "--library", code, "--publish")
    assert result.exit_code == 0, result.output
    assert f"as {admin.email}" in result.output
    record = db.session.scalar(select(Record))
    assert record.status is RecordStatus.PUBLISHED and record.created_by_id == admin.id
    assert "发布 published 1" in result.output


def test_refusals_are_one_line_in_both_languages(huiku, collection, library, write):
    table = write("t.csv", csv_bytes([HEADERS, ROWS[2]]))
    result = huiku("import", collection.slug, table, "--library", library.code, "--encoding", "x")
    assert result.exit_code == 1
    assert "not a known text encoding" in result.output and "不是可识别的文字编码" in result.output
    result = huiku("import", "nope", table, "--library", library.code)
    assert result.exit_code == 1 and "no collection nope" in result.output
    unreadable = write("u.csv", b'local_id,title,scientific_name,kingdom\r\nA,"x,y,z\r\n')
    result = huiku("import", collection.slug, unreadable, "--library", library.code)
    assert result.exit_code == 1 and "never closed" in result.output
