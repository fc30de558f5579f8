"""Factories for the things tests need: libraries, people, collections, records with images.

They go through the services, so what they build is what users would have built.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.models import Collection, Library, Record, RecordStatus, User
from repository.services import accounts, collections, records

PASSWORD = "correct-horse-42"
_numbers = itertools.count(1)

SAMPLE_METADATA: dict[str, dict[str, Any]] = {
    "natural_history": {
        "title": "人参",
        "scientific_name": "Panax ginseng C. A. Mey.",
        "kingdom": "植物",
        "family": "五加科 Araliaceae",
        "aliases": ["棒槌", "山参"],
        "date": "2011-06-18",
        "latitude": "42.05",
        "longitude": "128.06",
        "protection_level": "国家一级",
    },
    "ich": {
        "title": "朝鲜族农乐舞",
        "category": "传统舞蹈",
        "level": "人类非物质文化遗产代表作",
        "batch_year": "2006",
        "region": ["吉林省延边朝鲜族自治州"],
        "ethnic_group": ["朝鲜族"],
    },
    "generic": {"title": "吉林通志", "date": "光绪十七年", "type": "图书"},
}


def jpeg_bytes(size: tuple[int, int] = (640, 480), colour: str = "seagreen") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return buffer


@pytest.fixture
def make_library() -> Callable[..., Library]:
    def make(code: str | None = None, name_zh: str = "测试图书馆") -> Library:
        return accounts.create_library(code or f"LIB-{next(_numbers)}", name_zh, "Test Library")

    return make


@pytest.fixture
def make_user(make_library) -> Callable[..., User]:
    def make(
        role: str = "contributor",
        library: Library | None = None,
        reviews: list[Collection] = (),
    ) -> User:
        return accounts.create_user(
            f"{role}{next(_numbers)}@example.org",
            library or make_library(),
            role,
            PASSWORD,
            reviews=list(reviews),
        )

    return make


@pytest.fixture
def make_collection() -> Callable[..., Collection]:
    def make(profile: str = "natural_history", slug: str | None = None) -> Collection:
        return collections.create_collection(
            slug or f"{profile.replace('_', '-')}-{next(_numbers)}",
            profile,
            f"测试专题库 {profile}",
            f"Test collection {profile}",
            default_rights="https://creativecommons.org/licenses/by-nc/4.0/",
        )

    return make


@pytest.fixture
def make_record(make_user) -> Callable[..., Record]:
    def make(
        collection: Collection,
        contributor: User | None = None,
        *,
        status: RecordStatus = RecordStatus.PUBLISHED,
        images: int = 0,
        **metadata: Any,
    ) -> Record:
        contributor = contributor or make_user("contributor")
        data = {**SAMPLE_METADATA[collection.profile_name], **metadata}
        data.setdefault("local_id", f"LOCAL-{next(_numbers)}")
        uploads = [ImageUpload(jpeg_bytes(), f"image-{n}.jpg", f"图 {n}") for n in range(images)]
        record = save_new_record(contributor, collection, data, uploads)
        if status in (RecordStatus.SUBMITTED, RecordStatus.PUBLISHED, RecordStatus.WITHDRAWN):
            records.submit_record(contributor, record)
        if status in (RecordStatus.PUBLISHED, RecordStatus.WITHDRAWN):
            admin = make_user("admin", library=contributor.library)
            records.publish_record(admin, record)
            if status is RecordStatus.WITHDRAWN:
                records.withdraw_record(admin, record)
        return record

    return make


@pytest.fixture
def login(app, client: FlaskClient) -> Callable[..., FlaskClient]:
    """Sign a user in through the login form, CSRF token and all.

    ``separate=True`` uses a browser of its own, for tests with two people at once.
    """
    from tests.conftest import submit_form

    def sign_in(user: User, *, separate: bool = False) -> FlaskClient:
        browser = app.test_client() if separate else client
        response = submit_form(browser, "/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return browser

    return sign_in
