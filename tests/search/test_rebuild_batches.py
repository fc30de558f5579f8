"""A rebuild reads records in batches, with their images, recordings, credited libraries and
harvested copies looked up for the batch at once: each document must still be the one the
record gets when it is published on its own."""

from __future__ import annotations

import json

from repository.extensions import db
from repository.media.models import MediaKind, Recording
from repository.models import RecordContributor, RecordStatus
from search.indexing import published_documents
from search.outbox import index_changes
from tests.search.test_harvested import harvest, make_source, match  # noqa: F401 (fixtures)


def test_a_batch_of_records_with_and_without_their_extras(
    make_collection,
    make_record,
    make_library,
    make_source,  # noqa: F811 (the fixture imported above)
    harvest,  # noqa: F811
):
    collection = make_collection()
    plain = make_record(collection, title="人参")
    with_images = make_record(collection, title="東北紅豆杉", images=2)
    recorded = make_record(collection, title="松茸")
    db.session.add(
        Recording(
            record=recorded,
            sha256="1" * 64,
            kind=MediaKind.AUDIO,
            container="mp3",
            mime_type="audio/mpeg",
            size_bytes=1000,
            duration=12.0,
        )
    )
    crediting = make_library()
    merged = make_record(collection, title="长白松")
    merged.contributors.append(RecordContributor(library_id=crediting.id, local_id="M-1"))
    db.session.commit()
    copied = make_record(collection, title="红松")
    match(harvest(make_source(), "紅松"), copied)
    make_record(collection, title="未发布", status=RecordStatus.SUBMITTED)
    last = make_record(collection, title="落叶松")
    records = [plain, with_images, recorded, merged, copied, last]

    rebuilt = {document["id"]: document for document in published_documents()}

    published, _ = index_changes({record.public_id: record for record in records}, {})
    assert rebuilt == {document["id"]: document for document in published}
    assert rebuilt[recorded.public_id]["facets"]["media"] == ["audio"]
    assert rebuilt[recorded.public_id]["thumbnail"] is not None
    assert len(rebuilt[merged.public_id]["libraries"]) == 2
    assert rebuilt[copied.public_id]["facets"]["source"] == ["huiku", "jlgj"]
    assert rebuilt[with_images.public_id]["thumbnail"] == with_images.assets[0].public_id


def test_bulk_bodies_are_cut_by_size_and_hold_every_document_once(monkeypatch):
    from search.backends import elasticsearch_bulk

    monkeypatch.setattr(elasticsearch_bulk, "REBUILD_BODY_BYTES", 1_000)
    documents = [{"id": f"r{n}", "version": n, "title": "长白山" * n} for n in range(40)]
    bodies = list(elasticsearch_bulk.encoded_chunks(documents))

    assert len(bodies) > 1
    assert all(len(body) >= 1_000 for _, body in bodies[:-1])
    lines = [json.loads(line) for _, body in bodies for line in body.decode().splitlines()]
    assert sum(count for count, _ in bodies) == len(documents) == len(lines) // 2
    assert lines[0::2] == [
        {"index": {"_id": d["id"], "version": d["version"], "version_type": "external_gte"}}
        for d in documents
    ]
    assert lines[1::2] == documents
    assert all(body.endswith(b"\n") for _, body in bodies)
