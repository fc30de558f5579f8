"""Exports through HTTP: each format's content, streaming, text-only XLSX cells, formula
neutralising, the round trip through the real import, permissions and empty selections."""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from ingest.imports import run_import, start_import
from interop.oai.formats import DC_NS, OAI_DC_NS
from repository.models import RecordStatus

ODD_VALUES = {
    "description": '=HYPERLINK("http://evil.example","click")',
    "habitat": "@SUM(1,2) 林下",
    "genus": "+人参属",
    "distribution": "-2+3 长白山",
    "locality": "'=already marked",
}


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history", slug="plants")


@pytest.fixture
def contributor(make_user):
    return make_user("contributor")


@pytest.fixture
def published(plants, contributor, make_record):
    """Three published records of one library (one full of formula-like values), a draft and
    a withdrawn record that must never leave. Each has the collection's rights, as the web form
    and the import give it."""
    make_record = functools.partial(make_record, rights=plants.default_rights)
    first = make_record(plants, contributor, local_id="CBS-1", **ODD_VALUES)
    second = make_record(plants, contributor, local_id="CBS-2", title="东北虎", kingdom="动物")
    third = make_record(
        plants, contributor, local_id="CBS-3", title="松茸", kingdom="真菌", longitude="-12.5"
    )
    make_record(plants, contributor, local_id="DRAFT-1", status=RecordStatus.DRAFT)
    make_record(plants, contributor, local_id="GONE-1", status=RecordStatus.WITHDRAWN)
    return [first, second, third]


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_has_the_template_columns_and_only_published_records(client, plants, published):
    response = client.get("/collections/plants/export.csv")
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header == [*plants.profile.columns, "# collection", "# url"]
    assert sorted(row["local_id"] for row in rows) == ["CBS-1", "CBS-2", "CBS-3"]
    tiger = next(row for row in rows if row["local_id"] == "CBS-2")
    assert tiger["title"] == "东北虎" and tiger["aliases"] == "棒槌; 山参"
    assert tiger["# url"] == f"http://huiku.test/records/{published[1].public_id}"
    assert tiger["images"] == ""


def test_csv_neutralises_formulas_but_not_plain_numbers(client, published):
    rows = _csv_rows(client.get("/collections/plants/export.csv").data)
    odd = next(row for row in rows if row["local_id"] == "CBS-1")
    assert odd["description"] == '\'=HYPERLINK("http://evil.example","click")'
    assert odd["habitat"] == "'@SUM(1,2) 林下"
    assert odd["genus"] == "'+人参属"
    assert odd["distribution"] == "'-2+3 长白山"
    assert odd["locality"] == "''=already marked"  # the importer takes one mark off
    negative = next(row for row in rows if row["local_id"] == "CBS-3")
    assert negative["longitude"] == "-12.5"


def test_xlsx_cells_are_text_and_nothing_is_a_formula(client, plants, published):
    response = client.get("/collections/plants/export.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header == [*plants.profile.columns, "# collection", "# url"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert all(cell.number_format == "@" for cell in cells)
    values = {cell.value for cell in cells}
    assert '=HYPERLINK("http://evil.example","click")' in values  # text, as stored
    assert "42.05" in values  # a number kept as written, not 42.05 the float


def test_jsonl_has_one_record_per_line_with_dublin_core(client, published):
    response = client.get("/collections/plants/export.jsonl")
    lines = response.data.decode().splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    tiger = next(o for o in objects if o["local_id"] == "CBS-2")
    assert tiger["metadata"]["title"] == "东北虎" and tiger["profile"] == "natural_history"
    assert tiger["dublin_core"]["title"][0] == "东北虎"
    assert tiger["url"] in tiger["dublin_core"]["identifier"]


def test_dublin_core_xml_has_oai_dc_records(client, published):
    response = client.get("/collections/plants/export.xml")
    assert response.content_type.startswith("application/xml")
    root = etree.fromstring(response.data)
    records = root.findall(f"{{{OAI_DC_NS}}}dc")
    assert len(records) == 3
    titles = {r.findtext(f"{{{DC_NS}}}title") for r in records}
    assert titles == {"人参", "东北虎", "松茸"}
    identifiers = [e.text for r in records for e in r.findall(f"{{{DC_NS}}}identifier")]
    assert f"http://huiku.test/records/{published[0].public_id}" in identifiers


def test_the_file_is_streamed_in_pieces(client, published):
    response = client.get("/collections/plants/export.csv", buffered=False)
    assert response.is_streamed
    pieces = list(response.response)
    response.close()
    # The header goes out before any record is read, then the rows as their batches come.
    assert len(pieces) >= 2 and pieces[0].count(b"\r\n") == 1
    assert sum(piece.count(b"\r\n") for piece in pieces) == 4


def _reimport(collection, user, path: Path):
    job = start_import(user, collection, path, None, dry_run=False)
    return run_import(job)


@pytest.mark.parametrize("extension", ["xlsx", "csv"])
def test_an_export_reimports_without_changing_anything(
    client, plants, contributor, published, tmp_path, extension
):
    before = {r.public_id: (dict(r.metadata_), r.updated_at) for r in published}
    data = client.get(f"/collections/plants/export.{extension}").data
    path = tmp_path / f"export.{extension}"
    path.write_bytes(data)
    job = _reimport(plants, contributor, path)
    assert job.state.value == "succeeded", job.error
    assert job.counts.get("created", 0) == 0
    assert job.counts.get("updated", 0) == 0
    assert job.counts.get("failed", 0) == 0
    assert job.counts["unchanged"] == 3
    for record in published:
        assert (record.metadata_, record.updated_at) == before[record.public_id]


def test_a_library_contribution_is_exported(client, contributor, plants, published, make_record):
    other = make_record(plants, local_id="ELSEWHERE")  # another library's record
    response = client.get(f"/libraries/{contributor.library.code}/export.csv")
    ids = {row["local_id"] for row in _csv_rows(response.data)}
    assert ids == {"CBS-1", "CBS-2", "CBS-3"} and other.local_id not in ids


def test_a_hidden_collection_is_not_found(client, plants, published):
    plants.published = False
    from repository.extensions import db

    db.session.commit()
    for extension in ("csv", "xlsx", "jsonl", "xml"):
        response = client.get(f"/collections/plants/export.{extension}")
        assert response.status_code == 404
        assert "plants" in response.get_data(as_text=True)


def test_unknown_library_and_source_are_not_found(client):
    assert client.get("/libraries/NOPE/export.csv").status_code == 404
    response = client.get("/exports/nothing-here.csv")
    assert response.status_code == 404
    assert "nothing-here" in response.get_data(as_text=True)


def test_an_empty_collection_gives_an_empty_file(client, make_collection):
    make_collection("ich", slug="empty-ich")
    response = client.get("/collections/empty-ich/export.csv")
    assert response.status_code == 200
    assert response.headers["X-Record-Count"] == "0"
    assert _csv_rows(response.data) == []
    xml = client.get("/collections/empty-ich/export.xml")
    assert etree.fromstring(xml.data).tag == "records"
    assert client.get("/collections/empty-ich/export.jsonl").data == b""
    book = openpyxl.load_workbook(io.BytesIO(client.get("/collections/empty-ich/export.xlsx").data))
    assert book.active.max_row == 1
