"""Templates come from the profile alone, and what they produce imports as it is."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from ingest.imports import template_csv, template_xlsx
from repository.models import JobState
from repository.profiles import profiles
from tests.ingest.imports.conftest import problems


@pytest.mark.parametrize("profile", [p.name for p in profiles()])
def test_every_profile_gets_a_csv_template_with_a_hint_row(make_collection, profile):
    collection = make_collection(profile)
    data = template_csv(collection)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese only with the mark
    header, hints = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    fields = collection.profile.fields
    assert header == [field.key for field in fields]
    assert hints[0].startswith("# ")
    for field, hint in zip(fields, hints, strict=True):
        assert field.label_zh in hint and field.label_en in hint
        assert ("必填 required" in hint) == field.required
        for term in field.vocabulary:
            assert term.value in hint
        if field.example:
            assert field.example in hint
    rights = hints[header.index("rights")]
    assert collection.default_rights in rights


@pytest.mark.parametrize("profile", [p.name for p in profiles()])
def test_every_profile_gets_an_xlsx_template_with_a_guide(make_collection, profile):
    collection = make_collection(profile)
    workbook = load_workbook(io.BytesIO(template_xlsx(collection)))
    records, guide = workbook.worksheets
    fields = collection.profile.fields
    assert [cell.value for cell in records[1]] == [field.key for field in fields]
    assert records.max_row == 1  # nothing to delete before filling in
    for index, field in enumerate(fields, start=1):
        comment = records.cell(row=1, column=index).comment.text
        assert field.label_zh in comment
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in records.data_validations.dataValidation
    }
    for index, field in enumerate(fields, start=1):
        if field.vocabulary:
            letter = records.cell(row=1, column=index).column_letter
            assert all(term.value in lists[f"{letter}2"] for term in field.vocabulary)
    keys = [row[0].value for row in guide.iter_rows()]
    assert all(field.key in keys for field in fields)


def test_an_unfilled_template_imports_nothing_and_says_so(run, write, collection):
    job = run(write("template.csv", template_csv(collection)))
    assert job.state is JobState.FAILED and "no rows to import" in job.error


def test_a_filled_xlsx_template_imports(run, write, collection):
    workbook = load_workbook(io.BytesIO(template_xlsx(collection)))
    sheet = workbook.worksheets[0]
    keys = [cell.value for cell in sheet[1]]
    values = {
        "local_id": "X-1",
        "title": "长白山杜鹃",
        "scientific_name": "Rhododendron",
        "kingdom": "植物",
        "elevation_m": "1700-2300",
        "photographer": "王五；赵六",
    }
    sheet.append([values.get(key) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(write("filled.xlsx", buffer.getvalue()))
    assert not problems(job) and job.counts["created"] == 1
