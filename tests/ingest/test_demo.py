"""`huiku demo` builds a believable alliance through the real contribution path, once."""

from sqlalchemy import func, select

from ingest.demo import data
from ingest.demo.loader import load_demo
from repository.extensions import db
from repository.models import Asset, Collection, Library, Record, RecordStatus, User


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_loads_published_records_with_images_and_reloading_adds_nothing(client):
    first = load_demo(limit=6)
    assert (first.created, first.existing) == (6, 0)
    counts = (count(Library), count(User), count(Collection), count(Record), count(Asset))
    second = load_demo(limit=6)
    assert (second.created, second.existing) == (0, 6)
    assert (count(Library), count(User), count(Collection), count(Record), count(Asset)) == counts
    assert counts[:3] == (len(data.LIBRARIES), len(data.USERS), len(data.COLLECTIONS))

    statuses = set(db.session.scalars(select(Record.status)))
    assert statuses == {RecordStatus.PUBLISHED}
    home = client.get("/").get_data(as_text=True)
    for collection in data.COLLECTIONS:
        assert collection["title_zh"] in home
    record = db.session.scalar(select(Record).where(Record.assets.any()))
    page = client.get(f"/records/{record.public_id}").get_data(as_text=True)
    assert record.library.name_zh in page
    assert client.get(f"/assets/{record.assets[0].public_id}/thumb-600.jpg").status_code == 200


def test_demo_sign_ins_work(client):
    from tests.conftest import submit_form

    load_demo(limit=1)
    user = next(u for u in data.USERS if u["role"] == "reviewer")
    response = submit_form(client, "/login", {"email": user["email"], "password": user["password"]})
    assert response.status_code == 302
