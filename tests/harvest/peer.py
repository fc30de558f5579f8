"""A second Huiku to harvest: the live server (its own SQLite database, HTTP on 127.0.0.1) with
published records, and the changes made there between two harvests.

The first corpus is dated in January 2026, so the incremental harvest has a clear line between
what it already has and what changed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from repository.extensions import db
from repository.models import Record, RecordRevision
from repository.services import accounts, collections, records

PASSWORD = "correct-horse-42"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Peer:
    server: object
    ids: dict[str, str] = field(default_factory=dict)  # local id → public id
    admin_id: int = 0
    collection_id: int = 0


def _data(local_id: str, title: str, n: int) -> dict:
    return {
        "local_id": local_id,
        "title": title,
        "creator": [f"作者{n}"],
        "subject": ["地方志"],
        "description": f"第{n}种。",
        "date": str(1900 + n),
        "coverage": ["吉林"],
    }


def publish_corpus(server) -> Peer:
    """Three published records of a generic collection, dated in January 2026."""
    server.app.config["OAI_PAGE_SIZE"] = 2
    server.app.config["IIIF_DISCOVERY_PAGE_SIZE"] = 2
    peer = Peer(server=server)
    with server.context():
        library = accounts.create_library("PEER-LIB", "对方图书馆", "Peer Library")
        collection = collections.create_collection("peer-docs", "generic", "对方文献")
        admin = accounts.create_user("admin@peer.example.org", library, "admin", PASSWORD)
        made = []
        for n, title in enumerate(("吉林通志", "长白山江岗志略", "鸡林旧闻录")):
            record = records.create_record(admin, collection, _data(f"P-{n}", title, n))
            records.submit_record(admin, record)
            records.publish_record(admin, record)
            peer.ids[f"P-{n}"] = record.public_id
            made.append(record)
        peer.admin_id, peer.collection_id = admin.id, collection.id
        db.session.commit()
        for n, record in enumerate(made):
            day = EPOCH + timedelta(days=n, hours=1)
            db.session.execute(update(Record).where(Record.id == record.id).values(updated_at=day))
            db.session.execute(
                update(RecordRevision)
                .where(RecordRevision.record_id == record.id)
                .values(created_at=day)
            )
        db.session.commit()
    return peer


def change_corpus(peer: Peer) -> None:
    """Add a record, change one and withdraw another."""
    with peer.server.context():
        from repository.models import Collection, User

        admin = db.session.get(User, peer.admin_id)
        collection = db.session.get(Collection, peer.collection_id)
        added = records.create_record(admin, collection, _data("P-3", "吉林外记", 3))
        records.submit_record(admin, added)
        records.publish_record(admin, added)
        peer.ids["P-3"] = added.public_id
        changed = records.get_record(peer.ids["P-0"])
        records.update_record(admin, changed, _data("P-0", "吉林通志（光绪本）", 0))
        withdrawn = records.get_record(peer.ids["P-1"])
        records.withdraw_record(admin, withdrawn)
        db.session.commit()
