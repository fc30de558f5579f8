"""`huiku demo` builds a believable alliance through the batch import, once."""

from sqlalchemy import func, select

from demo import dataset
from demo.loader import load_demo
from repository.extensions import db
from repository.models import Asset, Collection, IngestJob, Library, Record, RecordStatus, User
from tests.conftest import submit_form


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts() -> tuple[int, ...]:
    return tuple(count(model) for model in (Library, User, Collection, Record, Asset, IngestJob))


def test_the_demo_loads_published_records_with_images_and_reloading_adds_nothing(client):
    # Nine records: three of each collection, so one library (YB-LIB in the local documents)
    # has no reviewer of its own there and a reviewer of another library publishes its rows.
    first = load_demo(limit=9)
    assert (first.created, first.existing) == (9, 0)
    loaded = counts()
    alliance = dataset.alliance()
    assert loaded[:4] == (
        len(alliance.libraries),
        len(alliance.users),
        len(alliance.collections),
        9,
    )
    assert loaded[5] >= 3  # the records came in through import jobs

    second = load_demo(limit=9)
    assert (second.created, second.existing) == (0, 9)
    assert counts() == loaded

    assert set(db.session.scalars(select(Record.status))) == {RecordStatus.PUBLISHED}
    yanbian = db.session.scalar(select(Record).where(Record.local_id == "YB-LD-0001"))
    assert yanbian.library.code == "YB-LIB"
    assert yanbian.collection.slug == "jilin-local-documents"
    home = client.get("/").get_data(as_text=True)
    for collection in alliance.collections:
        assert collection["title_zh"] in home


def test_a_demo_record_shows_its_pictures_with_their_labels(client):
    load_demo(limit=1)
    ginseng = db.session.scalar(select(Record).where(Record.local_id == "NENU-NH-0001"))
    assert ginseng.metadata_["title"] == "人参"
    assert [asset.label for asset in ginseng.assets] == ["全株", "果实"]
    assert (ginseng.assets[0].width, ginseng.assets[0].height) == (1200, 1600)
    page = client.get(f"/records/{ginseng.public_id}").get_data(as_text=True)
    assert "东北师范大学图书馆" in page and "Panax ginseng" in page
    thumb = client.get(f"/assets/{ginseng.assets[0].public_id}/thumb-600.jpg")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_demo_sign_ins_work(client):
    load_demo(limit=1)
    reviewer = next(u for u in dataset.alliance().users if u["role"] == "reviewer")
    form = {"email": reviewer["email"], "password": dataset.alliance().password}
    response = submit_form(client, "/login", form)
    assert response.status_code == 302


def test_the_demo_has_an_alliance_administrator_who_sees_every_library(client):
    load_demo(limit=1)
    admin = next(u for u in dataset.alliance().users if u.get("alliance_admin"))
    form = {"email": admin["email"], "password": dataset.alliance().password}
    assert submit_form(client, "/login", form).status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    for library in dataset.alliance().libraries:
        assert library["code"] in page
