"""Browsing at scale: counts kept as rows in step with the records, pages read from either end."""

import pytest
from sqlalchemy import func, select

from repository.extensions import db
from repository.models import Record, RecordStatus
from repository.services import browse, record_counts, records


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


def counted(collection_id: int) -> int:
    return db.session.scalar(
        select(func.count(Record.id)).where(
            Record.collection_id == collection_id, Record.status == RecordStatus.PUBLISHED
        )
    )


def test_counts_follow_publishing_withdrawing_and_deleting(changbaishan, make_record, make_user):
    published = [make_record(changbaishan) for _ in range(3)]
    make_record(changbaishan, status=RecordStatus.DRAFT)
    make_record(changbaishan, status=RecordStatus.WITHDRAWN)
    assert record_counts.published_count(changbaishan.id) == counted(changbaishan.id) == 3

    admin = make_user("admin", library=published[0].library)
    records.withdraw_record(admin, published[0])
    records.delete_record(admin, published[1])
    assert record_counts.published_count(changbaishan.id) == counted(changbaishan.id) == 1
    assert record_counts.published_counts() == {changbaishan.id: 1}


def test_a_rolled_back_change_leaves_the_counts_alone(changbaishan, make_record):
    record = make_record(changbaishan)
    with db.session.begin_nested():
        record.status = RecordStatus.WITHDRAWN
        db.session.flush()
        assert record_counts.published_count(changbaishan.id) == 0
        db.session.rollback()
    assert record_counts.published_count(changbaishan.id) == 1


def test_recount_rebuilds_the_counts_from_the_records(changbaishan, make_record):
    make_record(changbaishan)
    make_record(changbaishan)
    record_counts.recount()
    assert record_counts.published_count(changbaishan.id) == 2
    assert [n for _c, n in record_counts.public_collection_counts()] == [2]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_every_page_holds_what_offset_paging_would(changbaishan, make_record, size):
    for title in ("松茸", "人参", "东北虎", "红松", "长白山蓝靛果", "美人松", "紫貂"):
        make_record(changbaishan, title=title)
    in_order = db.session.scalars(
        select(Record.id)
        .where(Record.collection_id == changbaishan.id)
        .order_by(Record.title_sort, Record.id)
    ).all()
    pages = -(-len(in_order) // size)
    for number in range(1, pages + 1):
        page = browse.public_records(changbaishan, number, size)
        assert [r.id for r in page.items] == in_order[(number - 1) * size : number * size]
        assert page.total == len(in_order)
