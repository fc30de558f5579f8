"""Administrators of the alliance and of one library, signed in through the login form."""

from __future__ import annotations

import pytest

from repository.models import Library, User
from repository.services import accounts
from tests.factories import PASSWORD


@pytest.fixture
def home_library(make_library) -> Library:
    return make_library("ALLY", "联盟中心")


@pytest.fixture
def alliance_admin(home_library) -> User:
    return accounts.create_user(
        "chief@alliance.example.org", home_library, "admin", PASSWORD, alliance_admin=True
    )


@pytest.fixture
def library_admin(make_library) -> User:
    library = make_library("JL-YB", "延边图书馆")
    return accounts.create_user("admin@yb.example.org", library, "admin", PASSWORD)


@pytest.fixture
def other_library(make_library) -> Library:
    return make_library("JL-TH", "通化图书馆")
