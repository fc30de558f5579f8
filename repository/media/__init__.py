"""Audio and video recordings, shared by ingest and IIIF: verification with ffprobe, the
playable derivatives, posters and waveforms built by tasks with ffmpeg, and their serving.

``models``       the ``Recording`` row beside a record's images
``probe``        what ffprobe says a file is, and whether Huiku accepts it
``derivatives``  the web-playable file, the poster and thumbnail, the waveform
``uploads``      recordings arriving with a record: verified, stored, attached
``tasks``        building a recording's derivatives on the task queue
``views``        the files, with ranges (seeking), ETags and CORS

Originals go through the same content-addressed store as images (``repository.images``).
FFmpeg is needed only for recordings: without it images work as before, and uploading a
recording says that FFmpeg is missing (docs/media.md).
"""

from __future__ import annotations

import logging
import os

from flask import Flask

log = logging.getLogger(__name__)

#: Settings with their defaults; each may also be set as ``HUIKU_<NAME>``.
DEFAULTS = {
    "FFMPEG_BINARY": "ffmpeg",
    "FFPROBE_BINARY": "ffprobe",
    "MAX_RECORDING_BYTES": 2 * 1024 * 1024 * 1024,  # larger than images': a film is big
    "MAX_RECORDING_SECONDS": 4 * 3600,
    "MEDIA_TIMEOUT_SECONDS": 3600,  # one ffmpeg run; a hung process must not hold a worker
    "MEDIA_X_ACCEL_PREFIX": "",  # e.g. /_media/: nginx sends the files (docs/media.md)
}


def init_app(app: Flask) -> None:
    """Settings, the file routes and the derivative task; say at start-up if FFmpeg is missing."""
    from repository.media import models, tasks, views  # noqa: F401 (register the model, task)

    for key, default in DEFAULTS.items():
        value = os.environ.get(f"HUIKU_{key}")
        if value:
            app.config[key] = type(default)(value)
        app.config.setdefault(key, default)
    # A recording may be larger than an image: the request limit follows the larger of the two.
    largest = max(app.config["MAX_UPLOAD_BYTES"], app.config["MAX_RECORDING_BYTES"])
    app.config["MAX_CONTENT_LENGTH"] = max(
        app.config.get("MAX_CONTENT_LENGTH") or 0, largest + 1024 * 1024
    )
    app.register_blueprint(views.blueprint)
    _template_helpers(app)
    check_ffmpeg(app)


def check_ffmpeg(app: Flask) -> None:
    """Say once, at start-up, that recordings cannot be accepted on this machine."""
    from repository.media.probe import ffmpeg_problem

    problem = ffmpeg_problem(app.config)
    if problem is not None:
        log.warning("%s", problem)


def _template_helpers(app: Flask) -> None:
    """What templates/media/ uses: bilingual texts, the file to play, durations."""
    from repository.media.playback import playable
    from repository.media.probe import RECORDING_EXTENSIONS, format_duration
    from repository.messages import Message, pmessage

    app.jinja_env.globals.update(
        media_text={
            "section": Message("Recordings"),
            "audio": Message("Audio"),
            "video": Message("Video"),
            "preparing": Message(
                "This recording is being prepared for playing; come back in a few minutes."
            ),
            "label": pmessage("recording", "Label"),
            "remove": pmessage("recording", "Remove"),
            "order": pmessage("recording", "Order"),
            "upload_hint": Message(
                "Recordings too: MP3, M4A/AAC, WAV, FLAC, MP4, WebM or MOV (audio and video)."
            ),
        },
        media_playable=playable,
        media_duration=format_duration,
        media_accept=",".join(sorted(RECORDING_EXTENSIONS)) + ",audio/*,video/*",
    )

    @app.context_processor
    def media_problem() -> dict:
        from flask import current_app

        return {"media_problem": missing_ffmpeg(current_app.config)}


def missing_ffmpeg(config) -> object:
    """The message saying FFmpeg is missing, found cheaply on the PATH, or None."""
    import shutil

    from repository.media.probe import ffmpeg_problem

    if all(shutil.which(config[key]) for key in ("FFMPEG_BINARY", "FFPROBE_BINARY")):
        return None
    return ffmpeg_problem(config)
