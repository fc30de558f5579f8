"""A recording's stored facts hold what the limits allow."""

from __future__ import annotations

from repository.extensions import db
from repository.media.models import MediaKind, Recording


def test_a_recording_at_the_default_size_limit_is_stored(app, make_record, make_collection):
    limit = int(app.config["MAX_RECORDING_BYTES"])
    assert limit >= 2**31  # more than a 32-bit column holds
    record = make_record(make_collection())
    recording = Recording(
        record=record,
        sha256="0" * 64,
        kind=MediaKind.VIDEO,
        container="mp4",
        mime_type="video/mp4",
        size_bytes=limit,
        duration=3600.0,
    )
    db.session.add(recording)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Recording, recording.id).size_bytes == limit
