"""Time-based canvases for a record's recordings (Presentation 3.0 audio and video).

A recording becomes a canvas with a ``duration`` (and, for video, the ``width`` and ``height``
it is displayed at), painted by one ``Sound`` or ``Video`` annotation whose body is the file
browsers play, with its ``format`` and ``duration``. Its thumbnail is the poster frame of a
video or the waveform of a sound. Canvases of images and recordings follow the record's
catalogued order (``position``, images first where two share one). ``iiif.manifests`` calls
this module; nothing else of the manifest changes for recordings.
"""

from __future__ import annotations

from iiif_prezi3 import Annotation, AnnotationBody, AnnotationPage, Canvas

from iiif.presentation_http import absolute_url
from repository.images import file_store
from repository.media.derivatives import load_media_set
from repository.media.models import Recording
from repository.media.playback import playable
from repository.models import Record


def in_catalogued_order(manifest_id: str, record: Record, image_canvases: list) -> list:
    """The image canvases (in the record's asset order) with the recordings' placed among
    them by position."""
    recordings = list(getattr(record, "recordings", ()))
    if not recordings:
        return image_canvases
    keyed = [
        ((asset.position, 0), canvas)
        for asset, canvas in zip(record.assets, image_canvases, strict=True)
    ]
    for recording in recordings:
        canvas = recording_canvas(manifest_id, recording)
        if canvas is not None:
            keyed.append(((recording.position, 1), canvas))
    return [canvas for _, canvas in sorted(keyed, key=lambda item: item[0])]


def first_thumbnail(record: Record) -> list[AnnotationBody] | None:
    """The manifest's thumbnail when the record has no image: its first recording's."""
    for recording in getattr(record, "recordings", ()):
        thumbnail = recording_thumbnail(recording)
        if thumbnail:
            return thumbnail
    return None


def recording_canvas(manifest_id: str, recording: Recording) -> Canvas | None:
    """The recording's canvas; None while nothing of it can be played yet."""
    chosen = playable(recording)
    if chosen is None:
        return None
    _, mime_type = chosen
    canvas_id = f"{manifest_id}/canvas/{recording.public_id}"
    size = {"width": recording.width, "height": recording.height} if recording.is_video else {}
    body = AnnotationBody(
        id=absolute_url("media.play", recording_id=recording.public_id),
        type="Video" if recording.is_video else "Sound",
        format=mime_type,
        duration=recording.duration,
        **size,
    )
    return Canvas(
        id=canvas_id,
        label={"none": [recording.label]} if recording.label else None,
        duration=recording.duration,
        thumbnail=recording_thumbnail(recording),
        items=[
            AnnotationPage(
                id=f"{canvas_id}/page",
                items=[
                    Annotation(
                        id=f"{canvas_id}/painting",
                        motivation="painting",
                        body=body,
                        target=canvas_id,
                    )
                ],
            )
        ],
        **size,
    )


def recording_thumbnail(recording: Recording) -> list[AnnotationBody] | None:
    """The 200-pixel poster or waveform, with its real size; none until the task made it."""
    if not recording.ready:
        return None
    media_set = load_media_set(file_store(), recording.sha256)
    if media_set is None or not media_set.thumbnail:
        return None
    return [
        AnnotationBody(
            id=absolute_url("media.picture", recording_id=recording.public_id, name="thumb.jpg"),
            type="Image",
            format="image/jpeg",
            width=media_set.thumbnail_width,
            height=media_set.thumbnail_height,
        )
    ]


def av_fingerprint(record: Record) -> list:
    """What of the recordings the manifest is made from, for the manifest cache's fingerprint."""
    return [
        [r.public_id, r.sha256, r.label, r.position, r.duration, r.derivative_state.value]
        for r in getattr(record, "recordings", ())
    ]
