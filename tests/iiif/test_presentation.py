"""IIIF Presentation 3.0 manifests: what a viewer or aggregator gets for each published record.

Every document fetched here is checked by the validators of ``tests/iiif/validators.py``
(iiif-prezi3, @iiif/parser and, where ``../shared`` has it, the Presentation 3.0 JSON schema).
"""

from __future__ import annotations

import json

import pytest

from ingest.services import save_record
from repository.models import RecordStatus
from repository.services import records
from tests.conftest import REQUIRE_SERVICES
from tests.iiif import validators
from tests.iiif.validators import fetch_presentation


@pytest.fixture(autouse=True)
def manifest_cache(app, tmp_path, monkeypatch):
    """Each test starts with an empty manifest cache of its own."""
    root = tmp_path / "iiif-cache"
    monkeypatch.setitem(app.config, "IIIF_CACHE_ROOT", str(root))
    return root / "manifests"


@pytest.fixture
def changbaishan(make_collection):
    return make_collection("natural_history", slug="changbaishan")


VALID_MANIFEST = {
    "@context": validators.PRESENTATION_CONTEXT,
    "id": "http://huiku.test/iiif/3/manifests/valid",
    "type": "Manifest",
    "label": {"none": ["人参"]},
    "items": [],
}
# What a careless producer writes: a string for a language map, the https form of a Creative
# Commons URI, a year for a date.
BROKEN_MANIFEST = {
    **VALID_MANIFEST,
    "label": "人参",
    "rights": "https://creativecommons.org/licenses/by/4.0/",
    "navDate": "2011",
}


def test_the_schema_is_there_to_check_against():
    if validators.SCHEMA is None:
        pytest.skip(
            f"{validators.SCHEMA_PATH} is missing (../shared is not beside this checkout), so "
            "documents are not checked against the Presentation 3.0 JSON schema; iiif-prezi3 "
            "and @iiif/parser still check them"
        )
    assert validators.SCHEMA.is_valid({"id": "x"}) is False  # the schema really rejects things
    assert any(error.startswith("/label:") for error in validators.schema_errors(BROKEN_MANIFEST))
    assert validators.schema_errors(VALID_MANIFEST) == []


def test_iiif_prezi3_rejects_what_is_not_a_manifest():
    errors = validators.prezi3_errors(BROKEN_MANIFEST)
    assert any(error.startswith("/label:") for error in errors), errors
    assert validators.prezi3_errors(VALID_MANIFEST) == []
    # What the model does not know is reported, not dropped silently.
    misspelt = {**VALID_MANIFEST, "sumary": {"none": ["野生"]}}
    assert validators.prezi3_errors(misspelt) == [
        "/sumary: the Manifest model gives back None for {'none': ['野生']}"
    ]
    assert validators.prezi3_errors({**VALID_MANIFEST, "type": "Canvas"}) == [
        "type 'Canvas' is none of ['Collection', 'Manifest']"
    ]


def test_the_iiif_parser_is_there_to_check_with():
    parser = validators.iiif_parser()
    if isinstance(parser, validators.Missing):
        if REQUIRE_SERVICES:
            pytest.fail(f"{parser.reason}; HUIKU_REQUIRE_SERVICES=1 requires it")
        pytest.skip(f"{parser.reason}; documents are checked without it")
    assert parser.version == validators.pinned_parser_version()
    assert parser.warnings(BROKEN_MANIFEST) == [
        '"label" should be a language map instead found a string',
        '"rights" is an informative property and should contain the http variation of the '
        "rights statement",
        '"navDate" should be a valid XSD dateTime literal',
    ]
    assert parser.warnings(VALID_MANIFEST) == []
    # A repair made without a warning counts too: here a single thumbnail instead of a list.
    thumbnail = {"id": "http://huiku.test/t.jpg", "type": "Image", "format": "image/jpeg"}
    assert parser.warnings({**VALID_MANIFEST, "thumbnail": thumbnail}) == [
        "the strict upgrade changed /thumbnail without a warning"
    ]
    # A collection's members are checked one by one.
    reference = {"id": VALID_MANIFEST["id"], "type": "Manifest", "label": {"none": ["人参"]}}
    collection = {
        **VALID_MANIFEST,
        "id": "http://huiku.test/iiif/3/collections/valid",
        "type": "Collection",
        "items": [reference, {**reference, "label": "人参"}],
    }
    assert parser.warnings(collection) == [
        '/items/1: "label" should be a language map instead found a string'
    ]
    assert parser.warnings({**collection, "items": [reference]}) == []


def test_a_record_with_several_images_has_a_canvas_per_image_with_an_image_service(
    client, changbaishan, make_record
):
    record = make_record(changbaishan, images=3)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")

    assert manifest["id"] == f"http://huiku.test/iiif/3/manifests/{record.public_id}"
    assert manifest["type"] == "Manifest"
    assert len(manifest["items"]) == 3
    for asset, canvas in zip(record.assets, manifest["items"], strict=True):
        assert (canvas["width"], canvas["height"]) == (asset.width, asset.height) == (640, 480)
        assert canvas["label"] == {"none": [asset.label]}
        annotation = canvas["items"][0]["items"][0]
        assert annotation["motivation"] == "painting"
        assert annotation["target"] == canvas["id"]
        service = annotation["body"]["service"][0]
        assert service == {
            "id": f"http://huiku.test/iiif/image/3/{asset.public_id}",
            "type": "ImageService3",
            "profile": "level2",
        }
        assert annotation["body"]["id"] == f"{service['id']}/full/max/0/default.jpg"
        thumbnail = canvas["thumbnail"][0]
        assert thumbnail["id"] == f"http://huiku.test/assets/{asset.public_id}/thumb-200.jpg"
        assert (thumbnail["width"], thumbnail["height"]) == (200, 150)
    assert manifest["thumbnail"] == manifest["items"][0]["thumbnail"]


def test_thumbnails_in_the_manifest_are_real_images(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    thumbnail = manifest["items"][0]["thumbnail"][0]
    image = client.get(thumbnail["id"].removeprefix("http://huiku.test"))
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"


def test_a_record_with_one_image_has_one_canvas(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert [canvas["id"] for canvas in manifest["items"]] == [
        f"{manifest['id']}/canvas/{record.assets[0].public_id}"
    ]


def test_a_record_without_images_still_describes_itself(client, changbaishan, make_record):
    record = make_record(changbaishan)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert manifest["items"] == []
    assert "thumbnail" not in manifest
    assert manifest["label"] == {"none": ["人参"]}


def test_labels_and_metadata_come_in_chinese_and_english_from_the_profile(
    client, changbaishan, make_record
):
    record = make_record(changbaishan, images=1, habitat="针阔混交林下")
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    metadata = {tuple(entry["label"]["en"]): entry["value"] for entry in manifest["metadata"]}

    labels = [entry["label"] for entry in manifest["metadata"]]
    assert {"zh-Hans": ["学名"], "en": ["Scientific name"]} in labels
    assert {"zh-Hans": ["生境"], "en": ["Habitat"]} in labels
    # Vocabulary terms are translated; what the cataloguer typed has no language of its own.
    assert metadata[("Group",)] == {"zh-Hans": ["植物"], "en": ["Plants"]}
    assert metadata[("Protection level",)] == {"zh-Hans": ["国家一级"], "en": ["National class I"]}
    assert metadata[("Scientific name",)] == {"none": ["Panax ginseng C. A. Mey."]}
    assert metadata[("Other names",)] == {"none": ["棒槌", "山参"]}
    assert metadata[("Collection",)] == {
        "zh-Hans": [changbaishan.title_zh],
        "en": [changbaishan.title_en],
    }
    assert "local_id" not in json.dumps(manifest)  # the library's own identifier stays inside
    assert record.local_id not in json.dumps(manifest)
    assert manifest["summary"]["zh-Hans"][0].startswith("类群：植物；")
    assert manifest["summary"]["en"][0].startswith("Group: Plants; ")


def test_credits_rights_links_and_date(app, client, changbaishan, make_record, make_library):
    record = make_record(
        changbaishan, images=1, rights="https://creativecommons.org/licenses/by/4.0/"
    )
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    base = "http://huiku.test"
    library = record.library

    assert manifest["requiredStatement"] == {
        "label": {"zh-Hans": ["提供者"], "en": ["Provided by"]},
        "value": {"zh-Hans": [library.name_zh], "en": [library.name_en]},
    }
    assert manifest["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    alliance, contributor = manifest["provider"]
    assert alliance["label"] == {
        "zh-Hans": [app.config["ALLIANCE_NAME_ZH"]],
        "en": [app.config["ALLIANCE_NAME_EN"]],
    }
    assert contributor["type"] == "Agent"
    assert contributor["label"] == {"zh-Hans": [library.name_zh], "en": [library.name_en]}
    assert manifest["homepage"][0]["id"] == f"{base}/records/{record.public_id}"
    assert manifest["seeAlso"][0]["id"] == f"{base}/records/{record.public_id}.json"
    assert manifest["seeAlso"][0]["format"] == "application/json"
    assert [part["id"] for part in manifest["partOf"]] == [
        f"{base}/iiif/3/collections/changbaishan",
        f"{base}/iiif/3/libraries/{library.code}",
    ]
    assert manifest["navDate"] == "2011-01-01T00:00:00Z"  # from the date 2011-06-18

    # Every link in the manifest leads somewhere that answers.
    for url in (
        manifest["homepage"][0]["id"],
        manifest["seeAlso"][0]["id"],
        *(part["id"] for part in manifest["partOf"]),
    ):
        assert client.get(url.removeprefix(base)).status_code == 200, url


@pytest.mark.parametrize(
    ("rights", "expected"),
    [
        (
            "http://rightsstatements.org/vocab/InC-EDU/1.0/",
            "http://rightsstatements.org/vocab/InC-EDU/1.0/",
        ),
        (
            "https://creativecommons.org/publicdomain/mark/1.0/",
            "http://creativecommons.org/publicdomain/mark/1.0/",
        ),
        ("仅供研究使用，转载请联系提供馆", None),
        ("https://example.org/licence", None),
    ],
)
def test_rights_only_when_the_record_names_a_licence_iiif_accepts(
    client, changbaishan, make_record, rights, expected
):
    record = make_record(changbaishan, images=1, rights=rights)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert manifest.get("rights") == expected
    rights_entry = [e for e in manifest["metadata"] if e["label"].get("en") == ["Rights"]]
    assert rights_entry[0]["value"] == {"none": [rights]}  # still shown as written


def test_a_record_without_a_date_has_no_nav_date(client, make_collection, make_record):
    documents = make_collection("generic")
    record = make_record(documents, images=1, date="")
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert "navDate" not in manifest


def test_the_libraries_of_a_merged_record_are_all_credited(
    client, changbaishan, make_record, make_library
):
    from repository.extensions import db
    from repository.models import RecordContributor

    record = make_record(changbaishan, images=1)
    other = make_library("YB-LIB", name_zh="延边图书馆")
    # What a merge of duplicates leaves behind: a further library credited on the record.
    db.session.add(RecordContributor(record_id=record.id, library_id=other.id, local_id="YB-7"))
    db.session.commit()

    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    value = manifest["requiredStatement"]["value"]
    assert value["zh-Hans"] == [f"{record.library.name_zh}、延边图书馆"]
    assert [agent["label"]["zh-Hans"] for agent in manifest["provider"][1:]] == [
        [record.library.name_zh],
        ["延边图书馆"],
    ]


@pytest.mark.parametrize(
    "status", [RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.WITHDRAWN]
)
def test_unpublished_records_have_no_manifest(client, changbaishan, make_record, status):
    record = make_record(changbaishan, status=status, images=1)
    response = client.get(f"/iiif/3/manifests/{record.public_id}")
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_json()["error"] == f"no record {record.public_id}"


def test_not_even_the_owning_library_gets_a_manifest_of_its_draft(
    login, changbaishan, make_user, make_record
):
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, status=RecordStatus.DRAFT, images=1)
    browser = login(contributor)
    assert browser.get(f"/records/{record.public_id}").status_code == 200
    assert browser.get(f"/iiif/3/manifests/{record.public_id}").status_code == 404


def test_unknown_records_are_404(client):
    assert client.get("/iiif/3/manifests/nosuchrecord").status_code == 404


def test_records_of_an_unpublished_collection_have_no_manifest(client, changbaishan, make_record):
    from repository.extensions import db

    record = make_record(changbaishan, images=1)
    changbaishan.published = False
    db.session.commit()
    assert client.get(f"/iiif/3/manifests/{record.public_id}").status_code == 404


def test_a_cached_manifest_is_rebuilt_after_an_edit(
    client, changbaishan, make_record, make_user, manifest_cache
):
    changbaishan.edits_need_review = False  # the edit goes live at once
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    first = client.get(url)
    assert first.get_json()["label"] == {"none": ["人参"]}
    assert len(list((manifest_cache / record.public_id).glob("*.json"))) == 1

    again = client.get(url)
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]

    save_record(contributor, record, {**record.metadata_, "title": "野山参"})
    edited = client.get(url)
    assert edited.get_json()["label"] == {"none": ["野山参"]}
    assert edited.headers["ETag"] != first.headers["ETag"]
    # The outdated version was replaced, not kept beside the new one.
    assert len(list((manifest_cache / record.public_id).glob("*.json"))) == 1


def test_the_cache_is_what_is_served(client, changbaishan, make_record, manifest_cache):
    record = make_record(changbaishan, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    client.get(url)
    [cached] = (manifest_cache / record.public_id).glob("*.json")
    marked = json.loads(cached.read_text())
    marked["label"] = {"none": ["from the cache"]}
    cached.write_text(json.dumps(marked))
    assert client.get(url).get_json()["label"] == {"none": ["from the cache"]}


def test_a_changed_collection_title_rebuilds_the_manifest(client, changbaishan, make_record):
    from repository.extensions import db

    record = make_record(changbaishan, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    client.get(url)
    changbaishan.title_en = "Flora and fauna of Changbai Mountain"
    db.session.commit()
    manifest = client.get(url).get_json()
    assert manifest["partOf"][0]["label"]["en"] == ["Flora and fauna of Changbai Mountain"]


def test_image_changes_rebuild_the_manifest(client, changbaishan, make_record, make_user):
    from ingest.uploads import ImageChange, ImageUpload
    from tests.factories import jpeg_bytes

    changbaishan.edits_need_review = False  # the edit goes live at once
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, images=2)
    url = f"/iiif/3/manifests/{record.public_id}"
    assert len(client.get(url).get_json()["items"]) == 2
    first, second = record.assets
    save_record(
        contributor,
        record,
        record.metadata_,
        [ImageUpload(jpeg_bytes((300, 500), "navy"), "new.jpg", "新图")],
        [
            ImageChange(first.public_id, first.label, 0, remove=True),
            ImageChange(second.public_id, "背面", 1),
        ],
    )
    canvases = client.get(url).get_json()["items"]
    assert [c["label"] for c in canvases] == [{"none": ["背面"]}, {"none": ["新图"]}]
    assert (canvases[1]["width"], canvases[1]["height"]) == (300, 500)


def test_a_cached_manifest_follows_its_images_state(client, changbaishan, make_record):
    """An image's tiles being rebuilt changes no record column, yet the manifest must drop the
    thumbnail that is not there for now, and show it again once it is."""
    from repository.extensions import db
    from repository.models import DerivativeState

    record = make_record(changbaishan, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    assert "thumbnail" in client.get(url).get_json()["items"][0]
    [asset] = record.assets
    asset.derivative_state = DerivativeState.PENDING
    db.session.commit()
    assert "thumbnail" not in client.get(url).get_json()["items"][0]
    asset.derivative_state = DerivativeState.READY
    db.session.commit()
    assert "thumbnail" in client.get(url).get_json()["items"][0]


def test_revalidation_is_answered_with_304(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_ids_use_the_configured_base_url(app, client, changbaishan, make_record, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://huiku.example.org/")
    record = make_record(changbaishan, images=1)
    manifest = fetch_presentation(client, f"/iiif/3/manifests/{record.public_id}")
    assert manifest["id"] == f"https://huiku.example.org/iiif/3/manifests/{record.public_id}"
    service = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]
    assert service["id"].startswith("https://huiku.example.org/iiif/image/3/")
    assert "huiku.test" not in json.dumps(manifest)


def test_the_record_page_and_json_link_the_manifest(client, changbaishan, make_record):
    record = make_record(changbaishan, images=1)
    manifest_url = f"http://huiku.test/iiif/3/manifests/{record.public_id}"
    assert client.get(f"/records/{record.public_id}.json").get_json()["iiif_manifest"] == (
        manifest_url
    )
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert f'href="{manifest_url}?manifest=http%3A//huiku.test/iiif/3/manifests/' in page
    assert f'<link rel="alternate" type="application/ld+json" href="{manifest_url}"' in page


def test_a_draft_shown_to_its_library_links_no_manifest(
    login, changbaishan, make_user, make_record
):
    contributor = make_user("contributor")
    record = make_record(changbaishan, contributor, status=RecordStatus.DRAFT, images=1)
    browser = login(contributor)
    assert "/iiif/3/manifests/" not in browser.get(f"/records/{record.public_id}").get_data(
        as_text=True
    )
    assert "iiif_manifest" not in browser.get(f"/records/{record.public_id}.json").get_json()


def test_a_withdrawn_record_loses_its_manifest(client, changbaishan, make_record, make_user):
    reviewer = make_user("admin")
    record = make_record(changbaishan, images=1)
    url = f"/iiif/3/manifests/{record.public_id}"
    assert client.get(url).status_code == 200
    records.withdraw_record(reviewer, record)
    assert client.get(url).status_code == 404
