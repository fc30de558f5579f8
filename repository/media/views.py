"""A recording's files over HTTP: what browsers play, with ranges so readers can seek.

``/media/<id>/play``       the web-playable copy once built; before that the original, which
                           every browser Huiku supports plays for MP3, M4A, WAV, FLAC and WebM
``/media/<id>/original``   the uploaded bytes, as a download
``/media/<id>/<picture>``  ``poster.jpg``, ``thumb.jpg``, ``waveform.png``

Answers carry ``Accept-Ranges`` and answer ``Range`` with 206 (werkzeug's conditional
sending), an ETag made of the content's digest, and the file's real type. A public record's
files may be read by any site (IIIF viewers elsewhere) and kept by shared caches; a draft's
only by its library's own people. With ``MEDIA_X_ACCEL_PREFIX`` set, nginx sends the file
(``X-Accel-Redirect``), as it does for the cached IIIF files (docs/media.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, current_app, request, send_file
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from repository.extensions import db
from repository.images import file_store
from repository.media.models import Recording
from repository.media.playback import playable
from repository.media.public import keep_play
from repository.services.browse import visible_record

blueprint = Blueprint("media", __name__)

PICTURES = {"poster.jpg": "image/jpeg", "thumb.jpg": "image/jpeg", "waveform.png": "image/png"}
CORS_EXPOSED = "Content-Length, Content-Range, Accept-Ranges, ETag"


@blueprint.route("/media/<recording_id>/play", methods=["GET", "HEAD", "OPTIONS"])
def play(recording_id: str) -> Response:
    recording = _visible(recording_id)
    chosen = playable(recording)
    if chosen is None:
        abort(404)
    name, mime_type = chosen
    response = _send(recording, name, mime_type)
    if request.method == "GET" and response.status_code in (200, 206):
        keep_play(recording, name, mime_type)  # for nginx, when the profile asks (public.py)
    return response


@blueprint.route("/media/<recording_id>/original", methods=["GET", "HEAD", "OPTIONS"])
def original(recording_id: str) -> Response:
    recording = _visible(recording_id)
    response = _send(recording, "original", recording.mime_type)
    response.headers["Content-Disposition"] = _attachment(recording.original_filename)
    return response


@blueprint.route("/media/<recording_id>/<any(poster.jpg, thumb.jpg, waveform.png):name>")
def picture(recording_id: str, name: str) -> Response:
    recording = _visible(recording_id)
    if not recording.ready:
        abort(404)
    return _send(recording, name, PICTURES[name])


def _visible(recording_id: str) -> Recording:
    recording = db.session.scalar(select(Recording).where(Recording.public_id == recording_id))
    if recording is None:
        abort(404)
    visible_record(recording.record.public_id, current_user)  # 404 for what this reader can't see
    return recording


def _send(recording: Recording, name: str, mime_type: str) -> Response:
    public = recording.record.is_public
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Range"
        response.headers["Access-Control-Max-Age"] = "86400"
    else:
        path = _path(recording.sha256, name)
        accel = current_app.config.get("MEDIA_X_ACCEL_PREFIX")
        etag = f"{recording.sha256[:32]}-{name}"
        if accel:
            response = current_app.response_class(mimetype=mime_type)
            relative = path.relative_to(Path(current_app.config["STORAGE_ROOT"])).as_posix()
            response.headers["X-Accel-Redirect"] = f"{accel}{relative}"
            response.set_etag(etag)
        else:
            response = send_file(
                path, mimetype=mime_type, conditional=True, etag=etag, max_age=86400
            )
            response.headers["Accept-Ranges"] = "bytes"  # nginx says so itself
    if public:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
        response.cache_control.public = True
    else:
        response.cache_control.private = True
        response.cache_control.public = False
    return response


def _path(sha256: str, name: str) -> Path:
    store = file_store()
    try:
        path = (
            store.original_path(sha256)
            if name == "original"
            else store.derivative_dir(sha256) / name
        )
    except OSError:
        abort(404)
    if not os.path.isfile(path):
        abort(404)
    return path


def _attachment(filename: str) -> str:
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{safe or 'recording'}\"; filename*=UTF-8''{quote(filename)}"


def recording_thumbnail(recording_id: str) -> Response | None:
    """The 200-pixel picture of a recording, for links that name it where an image's
    thumbnail is expected (a search hit of a record with recordings only); None if there is
    no such recording."""
    recording = db.session.scalar(select(Recording).where(Recording.public_id == recording_id))
    if recording is None:
        return None
    return picture(recording_id, "thumb.jpg")
