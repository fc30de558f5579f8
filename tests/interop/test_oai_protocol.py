"""OAI-PMH 2.0 through the test client: the six verbs, both formats and every error code."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from repository.extensions import db
from repository.models import RecordStatus
from repository.profiles import get_profile
from repository.services import records
from tests.interop.conftest import error_code
from tests.interop.oai_checks import DC, HUIKU, OAI, OAI_DC


def identifier(record) -> str:
    return f"oai:huiku.test:{record.public_id}"


def test_identify_says_deletions_are_kept_and_seconds_granularity(
    oai, make_collection, make_record
):
    make_record(make_collection())
    root = oai(verb="Identify")
    identify = root.find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}baseURL") == "http://huiku.test/oai"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert ".//{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier"
    described = identify.find(
        f"{OAI}description/{{http://www.openarchives.org/OAI/2.0/oai-identifier}}oai-identifier"
    )
    assert described is not None
    assert root.find(f"{OAI}request").get("verb") == "Identify"


def test_post_is_answered_like_get(oai, make_collection, make_record):
    record = make_record(make_collection())
    by_get = oai(verb="GetRecord", identifier=identifier(record), metadataPrefix="oai_dc")
    by_post = oai(
        verb="GetRecord", identifier=identifier(record), metadataPrefix="oai_dc", method="POST"
    )
    path = f"{OAI}GetRecord"
    assert etree.tostring(by_get.find(path)) == etree.tostring(by_post.find(path))


def test_metadata_formats_name_oai_dc_and_the_huiku_schema(
    oai, client, make_collection, make_record
):
    record = make_record(make_collection())
    for arguments in ({}, {"identifier": identifier(record)}):
        root = oai(verb="ListMetadataFormats", **arguments)
        formats = {
            f.findtext(f"{OAI}metadataPrefix"): f.findtext(f"{OAI}schema")
            for f in root.iter(f"{OAI}metadataFormat")
        }
        assert formats == {
            "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            "huiku": "http://huiku.test/oai/schemas/huiku.xsd",
        }
    assert client.get("/oai/schemas/huiku.xsd").status_code == 200


def test_sets_per_published_collection_and_per_library(oai, make_collection, make_library):
    shown = make_collection(slug="changbaishan-oai")
    hidden = make_collection(slug="hidden-oai")
    hidden.published = False
    db.session.flush()
    library = make_library("JL-OAI")
    specs = {s.findtext(f"{OAI}setSpec") for s in oai(verb="ListSets").iter(f"{OAI}set")}
    assert {"collection", "library", f"collection:{shown.slug}", f"library:{library.code}"} <= specs
    assert f"collection:{hidden.slug}" not in specs


def test_oai_dc_is_the_profiles_crosswalk(oai, make_collection, make_record):
    for profile in ("natural_history", "ich", "generic"):
        record = make_record(make_collection(profile))
        root = oai(verb="GetRecord", identifier=identifier(record), metadataPrefix="oai_dc")
        dc = root.find(f".//{OAI}metadata/{OAI_DC}dc")
        got: dict[str, list[str]] = {}
        for element in dc:
            got.setdefault(etree.QName(element).localname, []).append(element.text)
        expected = get_profile(profile).dublin_core(record.metadata_)
        page = f"http://huiku.test/records/{record.public_id}"
        expected.setdefault("identifier", []).append(page)
        assert got == expected
        assert {etree.QName(e).namespace for e in dc} == {DC.strip("{}")}


def test_huiku_format_keeps_every_field_and_validates(oai, make_collection, make_record):
    for profile in ("natural_history", "ich", "generic"):
        record = make_record(make_collection(profile))
        root = oai(verb="GetRecord", identifier=identifier(record), metadataPrefix="huiku")
        (element,) = root.find(f".//{OAI}metadata")
        assert element.tag == f"{HUIKU}{profile}"  # validated against the XSD by oai()
        got: dict[str, list[str]] = {}
        for child in element:
            got.setdefault(etree.QName(child).localname, []).append(child.text)
        assert got.pop("library") == [None]
        expected = {
            key: [str(v) for v in (value if isinstance(value, list) else [value])]
            for key, value in record.metadata_.items()
        }
        assert got == expected


def test_unpublished_records_do_not_exist_and_removed_ones_are_deleted(
    oai, make_collection, make_record, make_user
):
    collection = make_collection()
    draft = make_record(collection, status=RecordStatus.DRAFT)
    submitted = make_record(collection, status=RecordStatus.SUBMITTED)
    withdrawn = make_record(collection, status=RecordStatus.WITHDRAWN)
    deleted = make_record(collection)
    deleted_id = identifier(deleted)
    records.delete_record(make_user("admin", library=deleted.library), deleted)
    for record_id in (identifier(draft), identifier(submitted)):
        root = oai(verb="GetRecord", identifier=record_id, metadataPrefix="oai_dc")
        assert error_code(root) == "idDoesNotExist"
    for record_id in (identifier(withdrawn), deleted_id):
        root = oai(verb="GetRecord", identifier=record_id, metadataPrefix="huiku")
        header = root.find(f".//{OAI}header")
        assert header.get("status") == "deleted"
        assert root.find(f".//{OAI}metadata") is None
    listed = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    headers = {h.findtext(f"{OAI}identifier"): h.get("status") for h in listed.iter(f"{OAI}header")}
    assert headers == {identifier(withdrawn): "deleted", deleted_id: "deleted"}


@pytest.mark.parametrize(
    ("pairs", "code"),
    [
        ([], "badVerb"),
        ([("verb", "Harvest")], "badVerb"),
        ([("verb", "Identify"), ("verb", "Identify")], "badVerb"),
        ([("verb", "Identify"), ("set", "x")], "badArgument"),
        ([("verb", "ListRecords")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("metadataPrefix", "oai_dc")],
         "badArgument"),
        ([("verb", "ListIdentifiers"), ("metadataPrefix", "oai_dc"), ("from", "2026-02-30")],
         "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("from", "yesterday")],
         "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("until", "2026-01-01T10:00Z")],
         "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("from", "2026-01-01"),
          ("until", "2026-02-01T00:00:00Z")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("from", "2026-02-01"),
          ("until", "2026-01-01")], "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "shelf:3")],
         "badArgument"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("resumptionToken", "x")],
         "badArgument"),
        ([("verb", "GetRecord"), ("metadataPrefix", "oai_dc")], "badArgument"),
        ([("verb", "GetRecord"), ("identifier", "oai:huiku.test:x")], "badArgument"),
        ([("verb", "ListSets"), ("set", "collection")], "badArgument"),
        ([("verb", "ListRecords"), ("resumptionToken", "forged")], "badResumptionToken"),
        ([("verb", "ListSets"), ("resumptionToken", "anything")], "badResumptionToken"),
        ([("verb", "ListRecords"), ("metadataPrefix", "marc21")], "cannotDisseminateFormat"),
        ([("verb", "GetRecord"), ("metadataPrefix", "mods"), ("identifier", "oai:huiku.test:x")],
         "cannotDisseminateFormat"),
        ([("verb", "GetRecord"), ("metadataPrefix", "oai_dc"), ("identifier", "oai:huiku.test:x")],
         "idDoesNotExist"),
        ([("verb", "GetRecord"), ("metadataPrefix", "oai_dc"), ("identifier", "oai:other.org:x")],
         "idDoesNotExist"),
        ([("verb", "ListMetadataFormats"), ("identifier", "oai:huiku.test:nothing")],
         "idDoesNotExist"),
        ([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("from", "2999-01-01")],
         "noRecordsMatch"),
        ([("verb", "ListIdentifiers"), ("metadataPrefix", "huiku"), ("set", "collection:none")],
         "noRecordsMatch"),
    ],
)  # fmt: skip
def test_every_bad_request_gets_its_error_code(oai, pairs, code):
    for method in ("GET", "POST"):
        root = oai(*pairs, method=method)
        assert error_code(root) == code, etree.tostring(root)
        echoed = root.find(f"{OAI}request").attrib
        if code in ("badVerb", "badArgument"):
            assert not echoed
        else:
            assert echoed == dict(pairs)


def _first_token(oai, verb: str = "ListIdentifiers") -> str:
    root = oai(verb=verb, metadataPrefix="oai_dc")
    token = root.find(f".//{OAI}resumptionToken")
    assert token is not None and token.text
    return token.text


def test_tampered_expired_and_misdirected_tokens_are_refused(
    app, oai, monkeypatch, make_collection, make_record
):
    monkeypatch.setitem(app.config, "OAI_PAGE_SIZE", 1)
    collection = make_collection()
    for _ in range(3):
        make_record(collection)
    token = _first_token(oai)
    payload, _, signature = token.rpartition(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    assert error_code(oai(verb="ListIdentifiers", resumptionToken=tampered)) == (
        "badResumptionToken"
    )
    assert error_code(oai(verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    assert error_code(oai(verb="ListIdentifiers", resumptionToken=token)) is None
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-installation")
    assert error_code(oai(verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "OAI_TOKEN_LIFETIME", -1)
    assert error_code(oai(verb="ListIdentifiers", resumptionToken=token)) == "badResumptionToken"


def test_pages_carry_list_size_and_cursor(app, oai, monkeypatch, make_collection, make_record):
    monkeypatch.setitem(app.config, "OAI_PAGE_SIZE", 2)
    collection = make_collection()
    made = {identifier(make_record(collection)) for _ in range(5)}
    seen, cursors = [], []
    root = oai(verb="ListRecords", metadataPrefix="huiku")
    while True:
        seen += [h.text for h in root.iter(f"{OAI}identifier")]
        token = root.find(f".//{OAI}resumptionToken")
        cursors.append(int(token.get("cursor")))
        assert token.get("completeListSize") == "5"
        if not token.text:
            break
        assert token.get("expirationDate")
        root = oai(verb="ListRecords", resumptionToken=token.text)
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert cursors == [0, 2, 4]


def test_a_page_costs_the_same_queries_however_many_records_it_holds(
    app, oai, monkeypatch, make_collection, make_record, make_library
):
    from sqlalchemy import event

    from repository.models import RecordContributor

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    collection = make_collection()
    other = make_library()

    def queries_for_a_page() -> int:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            oai(verb="ListRecords", metadataPrefix="huiku")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(
            [
                s
                for s in statements
                if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
            ]
        )

    record = make_record(collection)
    record.contributors.append(RecordContributor(library_id=other.id, local_id="M-1"))
    db.session.flush()
    one = queries_for_a_page()
    for _ in range(6):
        more = make_record(collection)
        more.contributors.append(RecordContributor(library_id=other.id, local_id="M-x"))
    db.session.flush()
    assert queries_for_a_page() == one <= 4


def test_a_withdrawn_record_stays_in_the_sets_of_every_library_credited(
    oai, make_collection, make_record, make_library, make_user
):
    from repository.models import RecordContributor

    record = make_record(make_collection())
    other = make_library("YB-CREDIT")
    record.contributors.append(RecordContributor(library_id=other.id, local_id="YB-1"))
    db.session.flush()
    records.withdraw_record(make_user("admin", library=record.library), record)
    for code in (record.library.code, other.code):
        root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set_=f"library:{code}")
        (header,) = root.iter(f"{OAI}header")
        assert header.get("status") == "deleted"
        specs = {s.text for s in header.iter(f"{OAI}setSpec")}
        assert specs == {
            f"collection:{record.collection.slug}",
            f"library:{record.library.code}",
            f"library:{other.code}",
        }


def test_a_deleted_record_stays_in_the_sets_of_every_library_credited(
    oai, make_collection, make_record, make_library, make_user
):
    """The record's row and its credits are gone; the tombstone kept the credits."""
    from repository.models import Record, RecordContributor

    record = make_record(make_collection())
    owner, other = record.library, make_library("YB-GONE")
    record.contributors.append(RecordContributor(library_id=other.id, local_id="YB-2"))
    db.session.flush()
    public_id = record.public_id
    records.delete_record(make_user("admin", library=owner), record)
    db.session.flush()
    assert db.session.scalar(select(Record).where(Record.public_id == public_id)) is None
    for code in (owner.code, other.code):
        root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set_=f"library:{code}")
        (header,) = root.iter(f"{OAI}header")
        assert header.get("status") == "deleted"
        assert header.findtext(f"{OAI}identifier").endswith(public_id)
        assert {s.text for s in header.iter(f"{OAI}setSpec")} >= {
            f"library:{owner.code}",
            f"library:{other.code}",
        }
    untouched = make_library("HL-NONE")
    root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", set_=f"library:{untouched.code}")
    assert error_code(root) == "noRecordsMatch"


def test_hiding_a_collection_reports_its_records_deleted_and_showing_it_brings_them_back(
    oai, make_collection, make_record, make_library, make_user
):
    from repository.models import RecordContributor
    from repository.services import accounts, collections

    collection = make_collection()
    record = make_record(collection)
    other = make_library("YB-HIDE")
    record.contributors.append(RecordContributor(library_id=other.id, local_id="YB-3"))
    draft = make_record(collection, status=RecordStatus.DRAFT)
    chief = accounts.create_user(
        "chief@hide.example.org", record.library, "admin", "a long passphrase", alliance_admin=True
    )
    db.session.commit()

    def headers(**arguments: str) -> dict[str, etree._Element]:
        root = oai(verb="ListIdentifiers", metadataPrefix="oai_dc", **arguments)
        return {h.findtext(f"{OAI}identifier"): h for h in root.iter(f"{OAI}header")}

    def change(published: bool) -> None:
        collections.update_collection(
            chief,
            collection,
            title_zh=collection.title_zh,
            coordinating_library=collection.coordinating_library,
            published=published,
        )

    change(published=False)
    hidden = headers(set_=f"library:{other.code}")
    (identifier,) = hidden
    assert identifier.endswith(record.public_id) and not identifier.endswith(draft.public_id)
    assert hidden[identifier].get("status") == "deleted"
    hidden_at = hidden[identifier].findtext(f"{OAI}datestamp")

    change(published=True)
    shown = headers(set_=f"collection:{collection.slug}", from_=hidden_at)
    assert list(shown) == [identifier]
    assert shown[identifier].get("status") is None
    assert shown[identifier].findtext(f"{OAI}datestamp") >= hidden_at
