"""People and records for the workspace tests: two libraries, one collection, a reviewer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from repository.models import Collection, Library, User

# The search fixtures, so a test can look at what the public index holds.
from tests.search.conftest import app_backend, backend_kind, new_backend  # noqa: F401


@dataclass
class Alliance:
    collection: Collection
    home: Library
    other: Library
    contributor: User
    colleague: User
    outsider: User
    reviewer: User
    second_reviewer: User


@pytest.fixture
def alliance(make_collection, make_library, make_user) -> Alliance:
    collection = make_collection("natural_history")
    home, other = make_library("HOME"), make_library("OTHER")
    return Alliance(
        collection=collection,
        home=home,
        other=other,
        contributor=make_user("contributor", library=home),
        colleague=make_user("contributor", library=home),
        outsider=make_user("contributor", library=other),
        reviewer=make_user("reviewer", library=other, reviews=[collection]),
        second_reviewer=make_user("reviewer", library=other, reviews=[collection]),
    )
