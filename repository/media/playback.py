"""Which file of a recording browsers should play, before and after its derivatives exist."""

from __future__ import annotations

from repository.images import file_store
from repository.media.derivatives import MediaSource, load_media_set, plays_as_is
from repository.media.models import Recording

#: Original types browsers play before a copy is built (Chromium, Firefox, Safari ≥ 14.1).
PLAYABLE_ORIGINALS = frozenset({"mp3", "mp4", "wav", "flac", "webm", "aac"})


def media_source(recording: Recording) -> MediaSource:
    return MediaSource(
        sha256=recording.sha256,
        is_video=recording.is_video,
        container=recording.container,
        video_codec=recording.video_codec,
        audio_codec=recording.audio_codec,
        rotation=recording.rotation,
        # The pixel format is not kept; an H.264 that is not 4:2:0 is rare enough to copy.
        pixel_format=None,
    )


def playable(recording: Recording) -> tuple[str, str] | None:
    """The file browsers should play, as (derivative file name or ``original``, MIME type);
    None if nothing can be played yet."""
    if recording.ready:
        media_set = load_media_set(file_store(), recording.sha256)
        if media_set is not None and media_set.play:
            return media_set.play, media_set.play_mime or recording.mime_type
        if media_set is not None or plays_as_is(media_source(recording)):
            return "original", recording.mime_type
    if recording.container in PLAYABLE_ORIGINALS:
        return "original", recording.mime_type
    return None
