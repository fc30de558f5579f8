"""Duplicates across libraries, through the services: which pairs are flagged, and what merging
or keeping both does to the records."""

import logging

import pytest
from sqlalchemy import func, select

from ingest.duplicates import flag_possible_duplicates, keep_both, merge_pair
from ingest.duplicates.review import waiting_pairs
from ingest.services import save_new_record, save_record
from ingest.uploads import ImageUpload
from repository.errors import Conflict, NotFound, PermissionDenied
from repository.extensions import db
from repository.models import (
    DuplicateCandidate,
    DuplicateKey,
    DuplicateState,
    IndexTask,
    Record,
    RecordStatus,
    Tombstone,
)
from repository.services import records
from repository.transactions import unit_of_work
from tests.factories import SAMPLE_METADATA, jpeg_bytes

DRAFT, SUBMITTED, PUBLISHED = RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.PUBLISHED


@pytest.fixture
def plants(make_collection):
    return make_collection("natural_history")


@pytest.fixture
def reviewer(make_user, plants):
    return make_user("reviewer", reviews=[plants])


@pytest.fixture(autouse=True)
def outbox_kept(app):
    """Leave the search outbox unapplied, to see the rows a merge writes with it."""
    app.config["SEARCH_APPLY_ON_COMMIT"] = False
    yield
    app.config["SEARCH_APPLY_ON_COMMIT"] = True


def pairs_of(record: Record) -> list[DuplicateCandidate]:
    return list(
        db.session.scalars(
            select(DuplicateCandidate).where(
                (DuplicateCandidate.record_low_id == record.id)
                | (DuplicateCandidate.record_high_id == record.id)
            )
        )
    )


def the_pair(first: Record, second: Record) -> DuplicateCandidate:
    low, high = sorted((first.id, second.id))
    return db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.record_low_id == low, DuplicateCandidate.record_high_id == high
        )
    )


def ginseng(**changes):
    """Natural-history metadata for 人参 without the sample's aliases, changed as asked."""
    return {**SAMPLE_METADATA["natural_history"], "aliases": [], **changes}


# --- what is flagged ----------------------------------------------------------------------------


def test_traditional_and_simplified_titles_of_two_libraries_are_flagged(
    make_collection, make_record, reviewer
):
    books = make_collection("generic")
    first = make_record(books, title="長白山江岡志略", coverage=["长白山"])
    second = make_record(books, status=SUBMITTED, title="长白山江岗志略")
    pair = the_pair(first, second)
    assert pair.state is DuplicateState.OPEN
    assert pair.reasons == ["name"]
    assert pair.collection_id == books.id


def test_the_same_scientific_name_with_another_authority_is_flagged(plants, make_record):
    first = make_record(plants, **ginseng(scientific_name="Panax ginseng C. A. Mey."))
    second = make_record(plants, **ginseng(title="野山参", scientific_name="Panax ginseng"))
    assert the_pair(first, second).reasons == ["scientific_name"]


def test_aliases_count_as_names(plants, make_record):
    first = make_record(plants, **ginseng(scientific_name="Panax sp."))
    second = make_record(
        plants, **ginseng(title="棒槌", scientific_name="Panax sp.", aliases=["人參"])
    )
    assert the_pair(first, second).reasons == ["name"]


def test_one_folk_name_for_two_species_is_not_flagged(plants, make_record):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng(scientific_name="Panax quinquefolius L."))
    assert the_pair(first, second) is None


def test_the_same_title_within_one_library_is_not_flagged(plants, make_user, make_record):
    contributor = make_user("contributor")
    first = make_record(plants, contributor, **ginseng())
    second = make_record(plants, contributor, **ginseng())
    assert first.library_id == second.library_id
    assert pairs_of(first) == pairs_of(second) == []


def test_other_collections_are_not_compared(make_collection, make_record):
    first = make_record(make_collection("natural_history"), **ginseng())
    second = make_record(make_collection("natural_history"), **ginseng())
    assert pairs_of(first) == pairs_of(second) == []


def test_the_same_heritage_item_name_in_two_regions_is_not_flagged(make_collection, make_record):
    heritage = make_collection("ich")
    yanbian = make_record(heritage, title="农乐舞", region=["吉林省延边朝鲜族自治州"])
    dandong = make_record(heritage, title="農樂舞", region=["辽宁省丹东市"])
    assert the_pair(yanbian, dandong) is None
    # The same name in the same place (written more briefly) is.
    again = make_record(heritage, title="农乐舞", region=["延边朝鲜族自治州"])
    assert the_pair(yanbian, again).reasons == ["name", "place"]
    assert the_pair(dandong, again) is None


def test_another_librarys_draft_is_paired_but_kept_out_of_sight_until_submitted(
    plants, make_user, make_record, reviewer
):
    first_contributor, second_contributor = make_user(), make_user()
    first = make_record(plants, first_contributor, status=DRAFT, **ginseng())
    second = make_record(plants, second_contributor, status=DRAFT, **ginseng(title="人參"))
    assert the_pair(first, second).state is DuplicateState.OPEN
    assert waiting_pairs(reviewer).total == 0
    records.submit_record(first_contributor, first)
    assert waiting_pairs(reviewer).total == 0
    records.submit_record(second_contributor, second)
    assert [pair.id for pair in waiting_pairs(reviewer).items] == [the_pair(first, second).id]


def test_flagging_reports_only_pairs_whose_other_record_is_not_a_private_draft(plants, make_record):
    draft = make_record(plants, status=DRAFT, **ginseng())
    published = make_record(plants, **ginseng())
    mine = make_record(plants, status=DRAFT, **ginseng())
    flagged = flag_possible_duplicates(mine)
    assert [pair.other(mine) for pair in flagged] == [published]
    assert the_pair(mine, draft) is not None  # stored, for when both are submitted


def test_flagging_again_changes_nothing(plants, make_record):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    pair = the_pair(first, second)
    keys_before = db.session.scalar(select(func.count(DuplicateKey.id)))
    assert [p.id for p in flag_possible_duplicates(second)] == [pair.id]
    assert [p.id for p in flag_possible_duplicates(first)] == [pair.id]
    assert db.session.scalar(select(func.count(DuplicateCandidate.id))) == 1
    assert db.session.scalar(select(func.count(DuplicateKey.id))) == keys_before


def test_an_edit_that_makes_records_different_removes_the_open_pair(plants, make_record):
    first = make_record(plants, **ginseng())
    second = make_record(plants, status=DRAFT, **ginseng())
    assert the_pair(first, second) is not None
    save_record(
        second.library.users[0],
        second,
        ginseng(
            local_id=second.local_id, title="刺五加", scientific_name="Eleutherococcus senticosus"
        ),
    )
    assert the_pair(first, second) is None


def test_kept_both_is_not_flagged_again_unless_a_record_changes_materially(
    plants, make_user, make_record, reviewer
):
    plants.edits_need_review = False  # the edits go live at once
    first = make_record(plants, **ginseng())
    contributor = make_user()
    second = make_record(plants, contributor, **ginseng(locality="抚松县"))
    pair = keep_both(reviewer, the_pair(first, second).id)
    assert pair.state is DuplicateState.KEPT_BOTH and pair.decided_by == reviewer
    # A new description is not a reason to ask again.
    save_record(contributor, second, {**second.metadata_, "description": "林下栽培"})
    assert flag_possible_duplicates(second) == []
    assert the_pair(first, second).state is DuplicateState.KEPT_BOTH
    # A changed place is.
    save_record(contributor, second, {**second.metadata_, "locality": "安图县二道白河镇"})
    assert the_pair(first, second).state is DuplicateState.OPEN
    assert the_pair(first, second).decided_at is None


# --- merging ------------------------------------------------------------------------------------


def record_with_images(collection, contributor, colours, **metadata):
    uploads = [
        ImageUpload(jpeg_bytes((320, 240), colour), f"{colour}.jpg", colour) for colour in colours
    ]
    data = {**ginseng(), **metadata}
    data.setdefault("local_id", f"IMG-{'-'.join(colours)}-{contributor.id}")
    return save_new_record(contributor, collection, data, uploads)


def publish(record, admin):
    records.submit_record(record.library.users[0], record)
    records.publish_record(admin, record)


def test_a_merge_credits_both_libraries_combines_images_and_withdraws_the_other(
    plants, make_user, reviewer, client
):
    first_contributor, second_contributor = make_user(), make_user()
    admin = make_user("admin")
    survivor = record_with_images(plants, first_contributor, ["red", "blue"])
    other = record_with_images(
        plants, second_contributor, ["blue", "green"], title="人參", local_id="JL-77"
    )
    publish(survivor, admin)
    publish(other, admin)
    moved_asset = other.assets[1].public_id
    pair = the_pair(survivor, other)

    result = merge_pair(reviewer, pair.id, survivor.public_id, "同一物种")

    assert result == survivor
    assert [lib.id for lib in survivor.contributing_libraries] == [
        first_contributor.library_id,
        second_contributor.library_id,
    ]
    assert [(c.library_id, c.local_id) for c in survivor.contributors] == [
        (second_contributor.library_id, "JL-77")
    ]
    # The survivor's images first, then the other's new ones; the identical blue image once.
    assert [a.label for a in survivor.assets] == ["red", "blue", "green"]
    assert [a.position for a in survivor.assets] == [0, 1, 2]
    assert survivor.assets[2].public_id == moved_asset
    assert other.status is RecordStatus.WITHDRAWN
    assert survivor.status is PUBLISHED
    tombstone = db.session.scalar(
        select(Tombstone).where(Tombstone.record_public_id == other.public_id)
    )
    assert tombstone.reason == "merged"
    outbox = db.session.execute(
        select(IndexTask.record_public_id, IndexTask.action).order_by(IndexTask.id.desc()).limit(2)
    ).all()
    assert set(outbox) == {(survivor.public_id, "upsert"), (other.public_id, "delete")}
    for record in (survivor, other):
        revision = record.revisions[0]
        assert revision.action == "merge" and revision.user == reviewer
        assert revision.comment.startswith(f"{other.public_id} → {survivor.public_id}\n同一物种")
    # the other library's title, not kept, stays in the survivor's history
    assert survivor.revisions[0].comment.endswith("中文名 Chinese name: 人參")
    assert survivor.revisions[0].assets_after == [a.sha256 for a in survivor.assets]
    assert other.revisions[0].status_after == "withdrawn"
    pair = the_pair(survivor, other)
    assert pair.state is DuplicateState.MERGED
    assert pair.survivor == survivor and pair.merged_public_id == other.public_id
    # Aggregators harvesting IIIF change discovery learn of both changes.
    changes = client.get("/iiif/discovery/changes").get_json(force=True)
    last = client.get(changes["last"]["id"].removeprefix("http://huiku.test")).get_json(force=True)
    latest = {(a["type"], a["object"]["id"].rsplit("/", 1)[1]) for a in last["orderedItems"][-2:]}
    assert latest == {("Update", survivor.public_id), ("Delete", other.public_id)}


def test_merging_a_published_record_into_one_under_review_publishes_the_survivor(
    plants, make_record, reviewer
):
    public = make_record(plants, **ginseng())
    waiting = make_record(plants, status=SUBMITTED, **ginseng())
    merge_pair(reviewer, the_pair(public, waiting).id, waiting.public_id)
    assert waiting.status is PUBLISHED and waiting.published_at is not None
    assert waiting.revisions[0].status_before == "submitted"
    assert public.status is RecordStatus.WITHDRAWN


def test_merging_two_records_under_review_leaves_no_tombstone(plants, make_record, reviewer):
    first = make_record(plants, status=SUBMITTED, **ginseng())
    second = make_record(plants, status=SUBMITTED, **ginseng())
    merge_pair(reviewer, the_pair(first, second).id, first.public_id)
    assert first.status is SUBMITTED
    assert second.status is RecordStatus.WITHDRAWN
    # Nothing was ever public, so harvesters have nothing to forget.
    assert db.session.scalar(select(func.count(Tombstone.id))) == 0


def test_merged_credits_carry_over_to_a_later_merge(plants, make_record, reviewer):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    merge_pair(reviewer, the_pair(first, second).id, first.public_id)
    third = make_record(plants, **ginseng())
    merge_pair(reviewer, the_pair(first, third).id, third.public_id)
    assert [lib.id for lib in third.contributing_libraries] == [
        third.library_id,
        first.library_id,
        second.library_id,
    ]


def test_keep_both_leaves_the_records_alone(plants, make_record, reviewer):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    revisions = len(first.revisions), len(second.revisions)
    keep_both(reviewer, the_pair(first, second).id)
    assert (first.status, second.status) == (PUBLISHED, PUBLISHED)
    assert (len(first.revisions), len(second.revisions)) == revisions
    assert first.contributors == second.contributors == []


def test_only_the_collections_reviewers_and_admins_decide(
    plants, make_collection, make_user, make_record
):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    pair_id = the_pair(first, second).id
    contributor = first.library.users[0]
    elsewhere = make_user("reviewer", reviews=[make_collection("natural_history")])
    for user in (contributor, elsewhere):
        with pytest.raises(PermissionDenied):
            merge_pair(user, pair_id, first.public_id)
        with pytest.raises(PermissionDenied):
            keep_both(user, pair_id)
    assert the_pair(first, second).state is DuplicateState.OPEN
    assert second.status is PUBLISHED
    merge_pair(make_user("admin"), pair_id, first.public_id)
    assert the_pair(first, second).state is DuplicateState.MERGED


def test_the_survivor_must_be_one_of_the_two(plants, make_record, reviewer):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    stranger = make_record(plants, **ginseng(title="刺五加", scientific_name="Eleutherococcus sp."))
    with pytest.raises(Exception, match="choose which of the two records remains"):
        merge_pair(reviewer, the_pair(first, second).id, stranger.public_id)
    assert the_pair(first, second).state is DuplicateState.OPEN


def test_stale_pairs_are_refused_with_a_reason(plants, make_user, make_record, reviewer):
    first = make_record(plants, **ginseng())
    second = make_record(plants, **ginseng())
    third = make_record(plants, **ginseng())
    merge_pair(reviewer, the_pair(first, second).id, first.public_id)
    with pytest.raises(Conflict, match="already merged"):
        merge_pair(reviewer, the_pair(first, second).id, second.public_id)
    with pytest.raises(Conflict, match="already merged"):
        keep_both(reviewer, the_pair(first, second).id)
    # second was merged away, so its pair with third is moot.
    with pytest.raises(Conflict, match=f"record {second.public_id} was withdrawn or merged"):
        merge_pair(reviewer, the_pair(second, third).id, third.public_id)
    # A record withdrawn since it was flagged.
    fourth = make_record(plants, **ginseng())
    records.withdraw_record(reviewer, fourth)
    with pytest.raises(Conflict, match="withdrawn"):
        keep_both(reviewer, the_pair(third, fourth).id)
    # A record returned to its library is a draft again.
    fifth = make_record(plants, status=SUBMITTED, **ginseng())
    records.return_record(reviewer, fifth, "补充拍摄地点")
    with pytest.raises(Conflict, match="draft again"):
        merge_pair(reviewer, the_pair(third, fifth).id, third.public_id)


def test_a_deleted_record_makes_its_pair_stale(plants, make_user, make_record, reviewer):
    first = make_record(plants, **ginseng())
    second = make_record(plants, status=SUBMITTED, **ginseng())
    pair_id = the_pair(first, second).id
    records.delete_record(make_user("admin"), second)
    # PostgreSQL removes the pair with the record; SQLite keeps it without its record.
    with pytest.raises((NotFound, Conflict), match=r"deleted|no longer exists"):
        merge_pair(reviewer, pair_id, first.public_id)
    assert first.status is PUBLISHED and first.contributors == []


def test_a_deleted_record_takes_its_keys_along(plants, make_user, make_record):
    """Keys are derived rows without a foreign key: the delete itself removes them."""
    record = make_record(plants, **ginseng())
    keys = select(func.count(DuplicateKey.id)).where(DuplicateKey.record_id == record.id)
    assert db.session.scalar(keys) > 0
    records.delete_record(make_user("admin"), record)
    assert db.session.scalar(keys) == 0
    # A save's flagging that comes after the delete (it runs after the save's own commit)
    # finds the record gone and writes no keys for it.
    assert flag_possible_duplicates(record) == []
    assert db.session.scalar(keys) == 0


# --- never in the way of a save -----------------------------------------------------------------


def broken_keys(*args, **kwargs):
    raise RuntimeError("keys unavailable")


def test_a_failed_flagging_does_not_stop_a_save(plants, make_user, monkeypatch, caplog):
    monkeypatch.setattr("ingest.duplicates.flagging.match_keys", broken_keys)
    contributor = make_user()
    with caplog.at_level(logging.ERROR, logger="ingest.duplicates.flagging"):
        record = save_new_record(contributor, plants, ginseng(local_id="CBS-1"), [])
    assert record.id is not None and record.title == "人参"
    assert db.session.get(Record, record.id).status is DRAFT
    assert "flagging possible duplicates" in caplog.text
    assert "keys unavailable" in caplog.text
    assert save_record(contributor, record, ginseng(local_id="CBS-1", title="园参")) is True
    assert record.title == "园参"


def test_a_failed_flagging_inside_an_import_transaction_keeps_the_rows_written(
    plants, make_user, monkeypatch
):
    """The import engine flags row by row inside its own transaction; a failure stays local."""
    contributor = make_user()
    with unit_of_work():
        kept = records.create_record(contributor, plants, ginseng(local_id="ROW-1"))
        monkeypatch.setattr("ingest.duplicates.flagging.match_keys", broken_keys)
        assert flag_possible_duplicates(kept) == []
        monkeypatch.undo()
        later = records.create_record(contributor, plants, ginseng(local_id="ROW-2"))
    assert {r.local_id for r in db.session.scalars(select(Record))} >= {"ROW-1", "ROW-2"}
    assert later.id is not None


# --- records saved before detection existed ------------------------------------------------------


def test_the_scan_command_keys_and_flags_existing_records_once(app, plants, make_user):
    """Records written without flagging (older data, other paths) are paired by a scan."""
    older = [
        records.create_record(make_user(), plants, ginseng(local_id=f"OLD-{n}")) for n in (1, 2)
    ]
    for record in older:
        records.submit_record(record.library.users[0], record)
    assert pairs_of(older[0]) == []
    runner = app.test_cli_runner()
    first = runner.invoke(args=["duplicates", "scan", "--collection", plants.slug])
    assert first.exit_code == 0, first.output
    assert "scanned 2 records" in first.output
    assert the_pair(*older).reasons == ["name", "scientific_name"]
    again = runner.invoke(args=["duplicates", "scan"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count(DuplicateCandidate.id))) == 1
    unknown = runner.invoke(args=["duplicates", "scan", "--collection", "no-such"])
    assert unknown.exit_code != 0 and "no collection no-such" in unknown.output


def test_the_scan_can_be_left_to_the_workers(app, plants, make_user):
    """``--queue`` hands the scan to the task queue (run inline by the test app)."""
    older = [
        records.create_record(make_user(), plants, ginseng(local_id=f"QUEUED-{n}")) for n in (1, 2)
    ]
    result = app.test_cli_runner().invoke(args=["duplicates", "scan", "--queue"])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    assert the_pair(*older).reasons == ["name", "scientific_name"]
