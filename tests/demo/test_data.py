"""The demo's data files hold together: the alliance, the records' CSVs, the pictures' recipes.

Whether each row is valid for its profile is the import's to say (test_import.py); these checks
are about what the profiles cannot know: references between the files, and facts about the
mountain and the documents that a wrong conversion would break.
"""

import re
from collections import Counter

import pytest

from demo import dataset

ALLIANCE = dataset.alliance()
ROWS = dataset.rows()
COLLECTIONS = {c["slug"]: c for c in ALLIANCE.collections}
LIBRARIES = {lib["code"]: lib for lib in ALLIANCE.libraries}
ROLES = {"contributor", "reviewer", "admin"}
DATE_RE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|\d{4}|\d{3}0s|\d{2}世纪\d0年代|清代|民国|约\d{4})$"
)


def _rid(row: dataset.DemoRow) -> str:
    return f"{row.library}/{row.local_id}"


def test_enough_records_in_each_collection():
    counts = Counter(row.collection for row in ROWS)
    assert len(ROWS) == 73
    assert counts == {"changbaishan": 30, "jilin-ich": 23, "jilin-local-documents": 20}


def test_libraries_and_collections_are_well_formed():
    assert len(LIBRARIES) == len(ALLIANCE.libraries) == 3
    for lib in ALLIANCE.libraries:
        assert {"code", "name_zh", "name_en", "region"} <= lib.keys()
    assert len(COLLECTIONS) == 3
    assert {c["profile"] for c in ALLIANCE.collections} == {"generic", "ich", "natural_history"}
    for c in ALLIANCE.collections:
        for key in ("title_zh", "title_en", "description_zh", "description_en"):
            assert c[key].strip(), (c["slug"], key)
        assert c["coordinating_library"] in LIBRARIES
        assert c["default_rights"].startswith(("http://", "https://"))


def test_users_reference_existing_libraries_and_collections():
    emails = [u["email"] for u in ALLIANCE.users]
    assert len(emails) == len(set(emails)) == 7
    assert ALLIANCE.password
    assert Counter(u["role"] for u in ALLIANCE.users)["admin"] == 1
    for user in ALLIANCE.users:
        assert user["role"] in ROLES and user["library"] in LIBRARIES and "@" in user["email"]
        if user["role"] == "reviewer":
            assert user["reviews"] and set(user["reviews"]) <= set(COLLECTIONS), user["email"]
        else:
            assert "reviews" not in user
    for code in LIBRARIES:
        own = {u["role"] for u in ALLIANCE.users if u["library"] == code}
        assert {"contributor", "reviewer"} <= own, code
    assert {slug for u in ALLIANCE.users for slug in u.get("reviews", [])} == set(COLLECTIONS)


def test_rows_belong_to_a_library_and_local_ids_are_unique_per_library():
    assert {row.library for row in ROWS} <= set(LIBRARIES)
    seen = Counter((row.library, row.local_id) for row in ROWS)
    assert [key for key, n in seen.items() if n > 1] == []


@pytest.mark.parametrize("row", ROWS, ids=_rid)
def test_dates_years_and_numbers(row: dataset.DemoRow):
    cells = row.cells
    if cells.get("date"):
        assert DATE_RE.match(cells["date"]), cells["date"]
    if cells.get("batch_year"):
        assert 2005 <= int(cells["batch_year"]) <= 2030
    if cells.get("elevation_m"):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", cells["elevation_m"])
        assert m, cells["elevation_m"]
        assert 0 <= int(m[1]) <= int(m[2] or m[1]) <= 2750  # Changbai's highest peak: 2,749 m
    if cells.get("language"):
        assert re.fullmatch(r"[a-z]{3}", cells["language"])


@pytest.mark.parametrize("row", [r for r in ROWS if r.collection == "changbaishan"], ids=_rid)
def test_natural_history_on_changbai_mountain_with_proper_names(row: dataset.DemoRow):
    lat, lon = float(row.cells["latitude"]), float(row.cells["longitude"])
    assert 41.7 <= lat <= 42.6 and 127.5 <= lon <= 128.3  # the reserve and towns at its foot
    assert re.match(r"^[A-Z][a-z]+ [a-z-]+", row.cells["scientific_name"])
    if row.cells.get("family"):
        assert re.search(r"[A-Z][a-z]+aceae|[A-Z][a-z]+idae", row.cells["family"])


def test_search_demo_terms_present():
    """The demo relies on a few records for simplified/traditional folding and partial matches."""
    titles = {row.cells["title"] for row in ROWS}
    assert {"人参", "东北红豆杉"} <= titles
    assert any(
        "红豆杉" in row.cells.get("description", "")
        for row in ROWS
        if row.cells["title"] != "东北红豆杉"
    )
    assert any(row.cells.get("alternative") for row in ROWS)


def test_every_named_picture_has_a_recipe_and_every_recipe_is_used():
    named = [name for row in ROWS for name in row.images]
    assert len(named) == len(set(named)) == 99
    assert set(named) == set(dataset.recipes())
    for row in ROWS:
        assert 1 <= len(row.images) <= 3, _rid(row)
        assert all(name.startswith(f"{row.local_id}/") for name in row.images), _rid(row)
