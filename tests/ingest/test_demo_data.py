"""Consistency checks for the demo dataset (ingest/demo) against the collection profiles.

The profile fields and vocabularies are hard-coded here from the shared profiles document; once
the profiles exist in code these tests should read them from there instead.
"""

import re
from collections import Counter

import pytest

from ingest.demo import data
from ingest.demo.artwork import PALETTES, render_demo_image

COMMON_FIELDS = {"local_id", "images", "rights"}
PROFILE_FIELDS = {
    "generic": {
        "title",
        "alternative",
        "creator",
        "contributor",
        "subject",
        "description",
        "date",
        "type",
        "format",
        "source",
        "language",
        "relation",
        "coverage",
        "publisher",
    },
    "ich": {
        "title",
        "category",
        "level",
        "batch_year",
        "region",
        "protection_unit",
        "inheritors",
        "ethnic_group",
        "description",
        "subject",
        "date",
    },
    "natural_history": {
        "title",
        "scientific_name",
        "kingdom",
        "family",
        "genus",
        "aliases",
        "habitat",
        "distribution",
        "elevation_m",
        "locality",
        "latitude",
        "longitude",
        "photographer",
        "date",
        "protection_level",
        "description",
    },
}
REQUIRED = {
    "generic": {"local_id", "title"},
    "ich": {"local_id", "title", "category", "level"},
    "natural_history": {"local_id", "title", "scientific_name", "kingdom"},
}
REPEATABLE = {
    "generic": {"alternative", "creator", "contributor", "subject", "relation", "coverage"},
    "ich": {"region", "inheritors", "ethnic_group", "subject"},
    "natural_history": {"aliases", "photographer"},
}
VOCABULARIES = {
    "category": {
        "民间文学",
        "传统音乐",
        "传统舞蹈",
        "传统戏剧",
        "曲艺",
        "传统体育、游艺与杂技",
        "传统美术",
        "传统技艺",
        "传统医药",
        "民俗",
    },
    "level": {"人类非物质文化遗产代表作", "国家级", "省级", "市级", "县级"},
    "kingdom": {"植物", "动物", "真菌"},
    "protection_level": {"国家一级", "国家二级", "省级", "无"},
}
ROLES = {"contributor", "reviewer", "admin"}

# Changbai Mountain, roughly: the reserve and the towns at its foot.
LAT_RANGE = (41.7, 42.6)
LON_RANGE = (127.5, 128.3)

DATE_FORMS = [
    r"\d{4}-\d{2}-\d{2}",
    r"\d{4}-\d{2}",
    r"\d{4}",
    r"\d{3}0s",
    r"\d{2}世纪\d0年代",
    r"清代",
    r"民国",
    r"约\d{4}",
]
DATE_RE = re.compile("^(?:" + "|".join(DATE_FORMS) + ")$")

COLLECTIONS = {c["slug"]: c for c in data.COLLECTIONS}
LIBRARIES = {lib["code"]: lib for lib in data.LIBRARIES}


def _profile(record):
    return COLLECTIONS[record["collection"]]["profile"]


def _rid(record):
    return f"{record['library']}/{record['metadata'].get('local_id')}"


def test_enough_records_in_each_collection():
    counts = Counter(r["collection"] for r in data.RECORDS)
    assert len(data.RECORDS) >= 60
    assert counts["changbaishan"] >= 26
    assert counts["jilin-ich"] >= 22
    assert counts["jilin-local-documents"] >= 18


def test_libraries_and_collections_are_well_formed():
    assert len(LIBRARIES) == len(data.LIBRARIES) == 3
    for lib in data.LIBRARIES:
        assert {"code", "name_zh", "name_en", "region"} <= lib.keys()
    assert len(COLLECTIONS) == len(data.COLLECTIONS) == 3
    assert {c["profile"] for c in data.COLLECTIONS} == set(PROFILE_FIELDS)
    for c in data.COLLECTIONS:
        for key in ("title_zh", "title_en", "description_zh", "description_en"):
            assert c[key].strip(), (c["slug"], key)
        assert c["coordinating_library"] in LIBRARIES
        assert c["default_rights"].startswith(("http://", "https://"))


def test_users_reference_existing_libraries_and_collections():
    emails = [u["email"] for u in data.USERS]
    assert len(emails) == len(set(emails))
    roles = Counter(u["role"] for u in data.USERS)
    assert roles["admin"] == 1
    for user in data.USERS:
        assert user["role"] in ROLES
        assert user["library"] in LIBRARIES
        assert user["password"]
        assert "@" in user["email"]
        if user["role"] == "reviewer":
            assert user["reviews"], user["email"]
            assert set(user["reviews"]) <= set(COLLECTIONS)
        else:
            assert "reviews" not in user
    for code in LIBRARIES:
        own = {u["role"] for u in data.USERS if u["library"] == code}
        assert {"contributor", "reviewer"} <= own, code
    reviewed = {slug for u in data.USERS for slug in u.get("reviews", [])}
    assert reviewed == set(COLLECTIONS)


def test_records_reference_existing_collection_and_library():
    for record in data.RECORDS:
        assert record["collection"] in COLLECTIONS, _rid(record)
        assert record["library"] in LIBRARIES, _rid(record)


def test_local_id_unique_per_library():
    seen = Counter((r["library"], r["metadata"]["local_id"]) for r in data.RECORDS)
    duplicates = [key for key, n in seen.items() if n > 1]
    assert not duplicates


@pytest.mark.parametrize("record", data.RECORDS, ids=_rid)
def test_record_fields_follow_profile(record):
    profile = _profile(record)
    metadata = record["metadata"]
    assert REQUIRED[profile] <= metadata.keys(), REQUIRED[profile] - metadata.keys()
    unknown = metadata.keys() - PROFILE_FIELDS[profile] - COMMON_FIELDS
    assert not unknown
    assert "images" not in metadata  # image specs live beside the metadata
    for key, value in metadata.items():
        if key in REPEATABLE[profile]:
            assert isinstance(value, list) and value, key
            assert all(isinstance(v, str) and v.strip() for v in value), key
            assert len(value) == len(set(value)), key
        else:
            assert isinstance(value, str) and value.strip(), key
            assert value == value.strip(), key
    for key in REQUIRED[profile]:
        assert metadata[key].strip()


@pytest.mark.parametrize("record", data.RECORDS, ids=_rid)
def test_vocabulary_values(record):
    metadata = record["metadata"]
    for key, allowed in VOCABULARIES.items():
        if key in metadata:
            assert metadata[key] in allowed, (key, metadata[key])


@pytest.mark.parametrize("record", data.RECORDS, ids=_rid)
def test_dates_years_and_numbers(record):
    metadata = record["metadata"]
    if "date" in metadata:
        assert DATE_RE.match(metadata["date"]), metadata["date"]
    if "batch_year" in metadata:
        assert re.fullmatch(r"(19|20)\d{2}", metadata["batch_year"])
        assert 2005 <= int(metadata["batch_year"]) <= 2030
    if "elevation_m" in metadata:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", metadata["elevation_m"])
        assert m, metadata["elevation_m"]
        low, high = int(m[1]), int(m[2] or m[1])
        assert 0 <= low <= high <= 2750  # Changbai's highest peak is 2,749 m
    if "rights" in metadata:
        assert metadata["rights"].startswith(("http://", "https://"))
    if metadata.get("language"):
        assert re.fullmatch(r"[a-z]{3}", metadata["language"])


@pytest.mark.parametrize(
    "record",
    [r for r in data.RECORDS if _profile(r) == "natural_history"],
    ids=_rid,
)
def test_coordinates_on_changbai_mountain(record):
    metadata = record["metadata"]
    assert "latitude" in metadata and "longitude" in metadata
    lat, lon = float(metadata["latitude"]), float(metadata["longitude"])
    assert LAT_RANGE[0] <= lat <= LAT_RANGE[1], lat
    assert LON_RANGE[0] <= lon <= LON_RANGE[1], lon


def test_natural_history_names_look_right():
    for record in data.RECORDS:
        if _profile(record) != "natural_history":
            continue
        metadata = record["metadata"]
        # a capitalised genus followed by a lower-case epithet
        assert re.match(r"^[A-Z][a-z]+ [a-z-]+", metadata["scientific_name"]), _rid(record)
        if "family" in metadata:
            assert re.search(r"[A-Z][a-z]+aceae|[A-Z][a-z]+idae", metadata["family"])


def test_search_demo_terms_present():
    """The demo relies on a few records for simplified/traditional folding and partial matches."""
    titles = {r["metadata"]["title"] for r in data.RECORDS}
    assert "人参" in titles
    assert "东北红豆杉" in titles
    other_mentions = [
        r
        for r in data.RECORDS
        if r["metadata"]["title"] != "东北红豆杉"
        and "红豆杉" in r["metadata"].get("description", "")
    ]
    assert other_mentions
    assert any(
        alt != r["metadata"]["title"]
        for r in data.RECORDS
        for alt in r["metadata"].get("alternative", [])
    )


@pytest.mark.parametrize("record", data.RECORDS, ids=_rid)
def test_image_specs(record):
    images = record["images"]
    assert 1 <= len(images) <= 3
    for spec in images:
        assert {"label", "motif", "palette"} <= spec.keys()
        assert spec.keys() <= {"label", "motif", "palette", "size"}
        assert spec["label"].strip()
        assert spec["palette"] in PALETTES
        if "size" in spec:
            w, h = spec["size"]
            assert 800 <= w <= 4000 and 800 <= h <= 4000


def test_image_sizes_vary():
    sizes = {tuple(s.get("size", (1600, 1200))) for r in data.RECORDS for s in r["images"]}
    assert (1600, 1200) in sizes
    assert any(h > w for w, h in sizes)


MOTIFS_USED = sorted({s["motif"] for r in data.RECORDS for s in r["images"]})


@pytest.mark.parametrize("motif", MOTIFS_USED)
@pytest.mark.parametrize("size", [(1600, 1200), (1200, 1600)])
def test_artwork_renders_every_motif(motif, size):
    img = render_demo_image(motif, 7, "测试", size=size)
    assert img.size == size
    assert img.mode == "RGB"
    lo, hi = zip(*img.getextrema(), strict=True)
    assert max(hi) - min(lo) > 60  # not a flat fill


def test_artwork_is_deterministic_and_seed_dependent():
    a = render_demo_image("flower", 1, "花", size=(320, 240), palette="meadow")
    b = render_demo_image("flower", 1, "花", size=(320, 240), palette="meadow")
    c = render_demo_image("flower", 2, "花", size=(320, 240), palette="meadow")
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_artwork_renders_each_record_spec_small():
    for i, record in enumerate(data.RECORDS):
        for spec in record["images"]:
            w, h = spec.get("size", (1600, 1200))
            small = (w // 8, h // 8)
            img = render_demo_image(
                spec["motif"], i, spec["label"], size=small, palette=spec["palette"]
            )
            assert img.size == small


def test_artwork_rejects_unknown_motif():
    with pytest.raises(ValueError):
        render_demo_image("spaceship", 1, "x")
