"""Rows written in bulk read back exactly as rows inserted through SQLAlchemy do."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from repository.bulk import insert_rows, insert_values, reserve_ids
from repository.extensions import db
from repository.models import Record, RecordStatus
from repository.models.base import utcnow

METADATA = {
    "local_id": "B-1",
    "title": "长白山红松",
    "aliases": ["果松", "海松"],
    "latitude": 42.0475,
    "note": 'quotes " and \\ and 𠀀',
}


NOW = utcnow()


def record_row(collection, user, public_id: str, local_id: str, metadata) -> dict:
    return {
        "public_id": public_id,
        "collection_id": collection.id,
        "library_id": user.library_id,
        "status": RecordStatus.DRAFT,
        "metadata": metadata,
        "local_id": local_id,
        "title": "长白山红松",
        "title_sort": "chang2 bai2 shan1 hong2 song1",
        "year_start": 1998,
        "year_end": None,
        "review_comment": "",
        "created_at": NOW,
        "updated_at": NOW,
        "published_at": None,
        "created_by_id": user.id,
        "updated_by_id": user.id,
    }


def stored(public_id: str) -> dict:
    columns = [c for c in Record.__table__.columns if c.name not in ("id", "public_id", "local_id")]
    row = db.session.execute(select(*columns).where(Record.public_id == public_id)).one()
    return row._asdict()


def test_bulk_rows_read_back_as_inserted_rows_do(make_collection, make_user):
    collection, user = make_collection(), make_user("contributor")
    by_insert = record_row(collection, user, "BULKTEST01", "B-1", METADATA)
    in_bulk = [record_row(collection, user, "BULKTEST02", "B-2", METADATA)]
    db.session.execute(insert(Record.__table__), [by_insert])
    insert_rows(Record.__table__, in_bulk)
    db.session.flush()

    expected = stored("BULKTEST01")
    assert expected["metadata"] == METADATA and expected["status"] is RecordStatus.DRAFT
    assert stored("BULKTEST02") == expected


def test_columns_left_out_get_a_default_of_their_own_per_row(make_collection, make_user):
    collection, user = make_collection(), make_user("contributor")
    rows = []
    for n in range(3):
        row = record_row(collection, user, "", f"D-{n}", {})
        del row["public_id"]  # its default makes a new public id each time
        rows.append(row)
    insert_rows(Record.__table__, rows)
    made = db.session.scalars(select(Record.public_id).where(Record.local_id.like("D-%"))).all()
    assert len(set(made)) == 3 and all(len(public_id) == 10 for public_id in made)


def test_a_duplicate_key_is_raised_as_sqlalchemy_raises_it(make_collection, make_user):
    """So a caller's error handling recognises it as the row's fault."""
    collection, user = make_collection(), make_user("contributor")
    rows = [record_row(collection, user, f"BULKDUP{n:03d}", "SAME", {}) for n in range(2)]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        insert_rows(Record.__table__, rows)


def test_rows_of_ready_values_with_shared_columns_read_back_as_inserted_rows_do(
    make_collection, make_user
):
    """Each row's own columns, the JSON as its text, with the columns all rows share."""
    collection, user = make_collection(), make_user("contributor")
    db.session.execute(
        insert(Record.__table__), [record_row(collection, user, "BULKTEST11", "B-11", METADATA)]
    )
    own = ("public_id", "local_id", "metadata", "title", "title_sort", "year_start", "year_end")
    row = record_row(collection, user, "BULKTEST12", "B-12", json.dumps(METADATA))
    shared = {name: value for name, value in row.items() if name not in own}
    insert_values(Record.__table__, own, [tuple(row[name] for name in own)], same=shared)
    db.session.flush()

    assert stored("BULKTEST12") == stored("BULKTEST11")
    assert stored("BULKTEST12")["metadata"] == METADATA


def test_reserved_ids_are_fresh_and_never_given_again(make_collection, make_user):
    """Records given reserved ids are stored under them; the next record the insert numbers
    itself takes a higher id, so neither clashes."""
    collection, user = make_collection(), make_user("contributor")
    reserved = reserve_ids(Record.__table__, 3)
    if db.session.get_bind().dialect.name != "postgresql":
        assert reserved is None  # the insert numbers rows there
        return
    assert reserved is not None and len(set(reserved)) == 3
    for n, record_id in enumerate(reserved):
        row = record_row(collection, user, f"RESERVED{n:02d}", f"R-{n}", {})
        db.session.execute(insert(Record.__table__), [{**row, "id": record_id}])
    numbered = record_row(collection, user, "RESERVED09", "R-9", {})
    db.session.execute(insert(Record.__table__), [numbered])

    query = select(Record.local_id, Record.id).where(Record.local_id.like("R-%"))
    stored_ids = {local_id: record_id for local_id, record_id in db.session.execute(query)}
    assert [stored_ids[f"R-{n}"] for n in range(3)] == reserved
    assert stored_ids["R-9"] > max(reserved)
