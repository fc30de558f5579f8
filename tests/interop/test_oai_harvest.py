"""Harvesting a served Huiku with sickle, as a union catalogue would.

The server is real (``tests/live_server.py``: its own SQLite database, HTTP on 127.0.0.1), and
the data is written through the services. Timestamps of the first corpus are moved into the
past, so incremental harvests have a clear line to draw between "before" and "after".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch
from sqlalchemy import update

from repository.extensions import db
from repository.models import Record, RecordContributor, Tombstone
from repository.services import accounts, collections, records
from tests.interop.oai_checks import OAI, check_response

PASSWORD = "correct-horse-42"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Corpus:
    """What the live server holds, by public id."""

    server: object
    ids: dict[str, str] = field(default_factory=dict)  # local id → public id
    collection_of: dict[str, str] = field(default_factory=dict)  # public id → collection slug
    libraries_of: dict[str, set[str]] = field(default_factory=dict)  # public id → codes
    deleted: set[str] = field(default_factory=set)
    users: dict[str, int] = field(default_factory=dict)

    @property
    def published(self) -> set[str]:
        return set(self.collection_of) - self.deleted

    def oai_id(self, public_id: str) -> str:
        return f"oai:huiku.example.org:{public_id}"


@pytest.fixture(scope="module")
def corpus(live_server) -> Iterator[Corpus]:
    """Two libraries, two collections, 12 published records (one credited to both libraries
    after a merge), a withdrawn and a deleted one; all of it dated in January 2026."""
    live_server.app.config["OAI_REPOSITORY_ID"] = "huiku.example.org"
    found = Corpus(server=live_server)
    with live_server.context():
        jl = accounts.create_library("JL-SL", "吉林省图书馆", "Jilin Provincial Library")
        yb = accounts.create_library("YB-LIB", "延边图书馆", "Yanbian Library")
        plants = collections.create_collection("changbaishan", "natural_history", "长白山动植菌物")
        heritage = collections.create_collection("ich-jilin", "ich", "吉林非遗")
        admin = accounts.create_user("admin@jl.example.org", jl, "admin", PASSWORD)
        people = {
            "JL-SL": accounts.create_user("c@jl.example.org", jl, "contributor", PASSWORD),
            "YB-LIB": accounts.create_user("c@yb.example.org", yb, "contributor", PASSWORD),
        }
        found.users = {"admin": admin.id, **{code: u.id for code, u in people.items()}}
        made = []
        for n in range(14):
            code = "JL-SL" if n % 3 else "YB-LIB"
            collection = plants if n % 2 else heritage
            data = _metadata(collection.profile_name, f"R-{n:02d}", n)
            record = records.create_record(people[code], collection, data)
            records.submit_record(people[code], record)
            records.publish_record(admin, record)
            found.ids[f"R-{n:02d}"] = record.public_id
            found.collection_of[record.public_id] = collection.slug
            found.libraries_of[record.public_id] = {code}
            made.append(record)
        # A merge credited R-01 (JL-SL's) to Yanbian too.
        made[1].contributors.append(RecordContributor(library_id=yb.id, local_id="YB-M-1"))
        found.libraries_of[made[1].public_id].add("YB-LIB")
        records.withdraw_record(admin, made[12])
        records.delete_record(admin, made[13])
        found.deleted |= {made[12].public_id, made[13].public_id}
        db.session.commit()
        # Spread the corpus over January, one record a day, deletions last.
        for n, record in enumerate(made):
            day = EPOCH + timedelta(days=n, hours=n % 5, seconds=n)
            db.session.execute(update(Record).where(Record.id == record.id).values(updated_at=day))
            db.session.execute(
                update(Tombstone)
                .where(Tombstone.record_public_id == record.public_id)
                .values(created_at=day)
            )
        db.session.commit()
    yield found


def _metadata(profile: str, local_id: str, n: int) -> dict:
    if profile == "natural_history":
        return {
            "local_id": local_id,
            "title": f"植物 {n}",
            "scientific_name": f"Planta numero {n}",
            "kingdom": "植物",
            "aliases": [f"别名{n}a", f"别名{n}b"],
        }
    return {"local_id": local_id, "title": f"非遗项目 {n}", "category": "民俗", "level": "省级"}


@pytest.fixture
def sickle(corpus) -> Sickle:
    return Sickle(f"{corpus.server.url}/oai")


@pytest.fixture
def page_size(corpus) -> Iterator[None]:
    config = corpus.server.app.config
    config["OAI_PAGE_SIZE"] = 3
    yield
    config["OAI_PAGE_SIZE"] = 100


def _harvest(sickle: Sickle, verb: str = "ListRecords", **arguments) -> list:
    try:
        return list(
            getattr(sickle, verb)(metadataPrefix=arguments.pop("prefix", "oai_dc"), **arguments)
        )
    except NoRecordsMatch:
        return []


def _identifiers(items) -> list[str]:
    return [getattr(item, "header", item).identifier for item in items]


def test_a_full_harvest_is_the_published_records_and_the_deletions(corpus, sickle, page_size):
    harvested = _harvest(sickle)
    assert len(harvested) == len(set(_identifiers(harvested)))
    live = {r.header.identifier: r for r in harvested if not r.deleted}
    gone = {r.header.identifier for r in harvested if r.deleted}
    assert live.keys() == {corpus.oai_id(p) for p in corpus.published}
    assert gone == {corpus.oai_id(p) for p in corpus.deleted}
    for local_id, public_id in corpus.ids.items():
        if public_id in corpus.published:
            metadata = live[corpus.oai_id(public_id)].metadata
            assert local_id in metadata["identifier"]
            assert metadata["title"][0].endswith(str(int(local_id[2:])))
    datestamps = [r.header.datestamp for r in harvested]
    assert datestamps == sorted(datestamps)


@pytest.mark.parametrize("prefix", ["oai_dc", "huiku"])
def test_each_response_of_a_paged_harvest_is_well_formed(corpus, prefix, page_size):
    from urllib.parse import urlencode
    from urllib.request import urlopen

    with urlopen(f"{corpus.server.url}/oai/schemas/huiku.xsd") as response:
        schema = etree.XMLSchema(etree.fromstring(response.read()))
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    pages = 0
    while True:
        with urlopen(f"{corpus.server.url}/oai?{urlencode(query)}") as response:
            assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
            root = check_response(response.read(), schema)
        pages += 1
        token = root.find(f".//{OAI}resumptionToken")
        if token is None or not token.text:
            break
        query = {"verb": "ListRecords", "resumptionToken": token.text}
    assert pages == 5  # 14 items, 3 a page


def test_sets_select_collections_and_every_library_credited(corpus, sickle, page_size):
    for slug in ("changbaishan", "ich-jilin"):
        harvested = _harvest(sickle, "ListIdentifiers", set=f"collection:{slug}")
        expected = {p for p, s in corpus.collection_of.items() if s == slug}
        assert set(_identifiers(harvested)) == {corpus.oai_id(p) for p in expected}
    for code in ("JL-SL", "YB-LIB"):
        harvested = _harvest(sickle, "ListRecords", set=f"library:{code}")
        expected = {p for p, codes in corpus.libraries_of.items() if code in codes}
        assert set(_identifiers(harvested)) == {corpus.oai_id(p) for p in expected}
    merged = corpus.oai_id(corpus.ids["R-01"])
    header = next(h for h in _harvest(sickle, "ListIdentifiers") if h.identifier == merged)
    assert set(header.setSpecs) == {"collection:changbaishan", "library:JL-SL", "library:YB-LIB"}
    assert set(_identifiers(_harvest(sickle, "ListIdentifiers", set="library"))) == {
        corpus.oai_id(p) for p in corpus.collection_of
    }


def test_date_ranges_at_both_granularities(corpus, sickle, page_size):
    def harvested(**dates) -> set[str]:
        return set(_identifiers(_harvest(sickle, "ListIdentifiers", **dates)))

    def made_between(first: int, last: int) -> set[str]:
        return {corpus.oai_id(corpus.ids[f"R-{n:02d}"]) for n in range(first, last + 1)}

    # R-05 is dated 2026-01-06T00:00:05Z, R-06 2026-01-07T01:00:06Z.
    assert harvested(**{"from": "2026-01-06", "until": "2026-01-07"}) == made_between(5, 6)
    assert harvested(**{"from": "2026-01-06T00:00:05Z"}) == made_between(5, 13)
    assert harvested(**{"from": "2026-01-06T00:00:06Z"}) == made_between(6, 13)
    assert harvested(until="2026-01-06T00:00:05Z") == made_between(0, 5)
    assert harvested(until="2026-01-06T00:00:04Z") == made_between(0, 4)
    assert harvested(**{"from": "2026-02-01"}) == set()


def test_an_incremental_harvest_returns_exactly_the_later_changes(corpus, sickle, page_size):
    from repository.models import User

    server = corpus.server
    before = datetime.now(UTC).replace(microsecond=0)
    with server.context():
        admin = db.session.get(User, corpus.users["admin"])
        jl = db.session.get(User, corpus.users["JL-SL"])
        edited = records.get_record(corpus.ids["R-02"])
        data = {**edited.metadata_, "title": "植物 2（修订）"}
        records.update_record(admin, edited, data)
        withdrawn = records.get_record(corpus.ids["R-04"])
        records.withdraw_record(admin, withdrawn)
        added = records.create_record(
            jl,
            collections.get_collection("changbaishan"),
            _metadata("natural_history", "R-NEW", 99),
        )
        records.submit_record(jl, added)
        records.publish_record(admin, added)
        added_id = added.public_id
    corpus.ids["R-NEW"] = added_id
    corpus.collection_of[added_id] = "changbaishan"
    corpus.libraries_of[added_id] = {"JL-SL"}
    corpus.deleted.add(corpus.ids["R-04"])

    later = _harvest(sickle, **{"from": before.strftime("%Y-%m-%dT%H:%M:%SZ")})
    by_id = {r.header.identifier: r for r in later}
    assert by_id.keys() == {corpus.oai_id(corpus.ids[k]) for k in ("R-02", "R-04", "R-NEW")}
    assert by_id[corpus.oai_id(corpus.ids["R-04"])].deleted
    assert by_id[corpus.oai_id(corpus.ids["R-02"])].metadata["title"][0] == "植物 2（修订）"
    # The full list now holds the new record and reports the withdrawal.
    full = _harvest(sickle)
    assert {r.header.identifier for r in full if not r.deleted} == {
        corpus.oai_id(p) for p in corpus.published
    }


def test_changes_during_a_harvest_neither_skip_nor_repeat(corpus, sickle, page_size):
    from repository.models import User

    listing = sickle.ListIdentifiers(metadataPrefix="oai_dc")
    first = [next(listing) for _ in range(2)]  # the first page is in hand, two more wait
    started = listing.oai_response.xml.findtext(f"{OAI}responseDate")
    expected = [
        h.identifier for h in _harvest(Sickle(f"{corpus.server.url}/oai"), "ListIdentifiers")
    ]
    seen_ids = {h.identifier for h in first}
    ahead = [i for i in expected if i not in seen_ids]
    behind = first[0].identifier
    with corpus.server.context():
        admin = db.session.get(User, corpus.users["admin"])
        jl = db.session.get(User, corpus.users["JL-SL"])
        # Change one item already delivered, one further on, withdraw another further on and
        # publish a new one: all of it after the list began.
        for identifier in (behind, ahead[3]):
            record = records.get_record(identifier.rpartition(":")[2])
            owner = (
                jl
                if record.library.code == "JL-SL"
                else db.session.get(User, corpus.users["YB-LIB"])
            )
            record.collection.edits_need_review = False  # the edit goes live at once
            records.update_record(
                owner, record, {**record.metadata_, "title": "改 " + record.title}
            )
        records.withdraw_record(admin, records.get_record(ahead[5].rpartition(":")[2]))
        added = records.create_record(
            jl, collections.get_collection("changbaishan"), _metadata("natural_history", "R-MID", 7)
        )
        records.submit_record(jl, added)
        records.publish_record(admin, added)
        added_id = added.public_id
    rest = list(listing)
    delivered = [h.identifier for h in first + rest]
    assert len(delivered) == len(set(delivered)), "an item was delivered twice"
    touched = {behind, ahead[3], ahead[5], corpus.oai_id(added_id)}
    untouched = [i for i in expected if i not in touched]
    assert [i for i in delivered if i not in touched] == untouched, "an unchanged item was lost"
    # What changed while the harvest ran comes with the next one, from the first responseDate.
    following = _harvest(sickle, "ListIdentifiers", **{"from": started})
    assert {h.identifier for h in following} >= touched
    assert next(h for h in following if h.identifier == ahead[5]).deleted
    corpus.ids["R-MID"] = added_id
    corpus.collection_of[added_id] = "changbaishan"
    corpus.deleted.add(ahead[5].rpartition(":")[2])
