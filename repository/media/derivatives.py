"""What a browser plays, and the pictures that stand for a recording, made with ffmpeg.

One folder per original, in the store's derivative area (``derivatives/ab/cd/<sha256>/``),
written as one set (``FileStore.writing_derivatives``)::

    play.mp4 | play.m4a    only when the original is not already web-playable
    poster.jpg, thumb.jpg  video: a frame a little way in, and its 200-pixel-wide copy
    waveform.png, thumb.jpg  audio: the sound's outline, and its 200-pixel-wide copy
    manifest.json          which of these exist, with their sizes and types; the set's
                           manifest, written last, as for images (an S3 store counts a set
                           only once it is there)

Web-playable means what every current browser plays: MP4 with H.264 (8-bit 4:2:0) and AAC,
MP3, or AAC in M4A. Everything else (WebM, MOV, HEVC, WAV, FLAC, a rotated video) gets an
H.264/AAC MP4, or for sound an AAC M4A; an MP4 that only needs its index moved to the front is
copied without re-encoding.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repository.images.derivatives import MANIFEST_NAME
from repository.images.storage import FileStore

THUMBNAIL_WIDTH = 200
POSTER_MAX_WIDTH = 1280
WAVEFORM_SIZE = (1200, 240)
SET_FILE = MANIFEST_NAME  # the name every derivative set's manifest has


class TranscodeFailed(RuntimeError):
    """ffmpeg did not make a file; the message holds the end of its log."""


@dataclass(frozen=True)
class MediaSource:
    """What the derivative builder needs to know of a recording (no database row needed)."""

    sha256: str
    is_video: bool
    container: str
    video_codec: str | None
    audio_codec: str | None
    rotation: int
    pixel_format: str | None = None


@dataclass(frozen=True)
class MediaSet:
    """The derivative files that exist for an original, read from ``media.json``."""

    play: str | None  # file name of the playable copy; None: the original plays as it is
    play_mime: str | None
    poster: str | None
    thumbnail: str | None
    thumbnail_width: int | None
    thumbnail_height: int | None
    waveform: str | None


def plays_as_is(source: MediaSource) -> bool:
    """Whether browsers play the original itself, so no copy is needed."""
    if source.is_video:
        return False  # an MP4 still gets a fast-start copy; see video_command
    return (source.container, source.audio_codec) in {("mp3", "mp3"), ("mp4", "aac")}


def video_command(ffmpeg: str, original: Path, target: Path, source: MediaSource) -> list[str]:
    """The ffmpeg command for a video's playable MP4: a copy when H.264/AAC already, else
    an encode. A video with a rotation flag is encoded too, turned upright by ffmpeg's
    autorotation, so every player shows it the way the canvas (width, height) says."""
    copy_video = (
        source.video_codec == "h264"
        and source.pixel_format in (None, "yuv420p")
        and source.rotation == 0
    )
    copy_audio = source.audio_codec in (None, "aac")
    command = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(original), "-map", "0:v:0"]
    command += ["-map", "0:a:0?"]
    if copy_video:
        command += ["-c:v", "copy"]
    else:
        command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
        command += ["-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"]
    command += ["-c:a", "copy"] if copy_audio else ["-c:a", "aac", "-b:a", "160k"]
    command += ["-movflags", "+faststart", "-f", "mp4", str(target)]
    return command


def audio_command(ffmpeg: str, original: Path, target: Path) -> list[str]:
    return [
        *(ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(original)),
        *("-map", "0:a:0", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"),
        *("-f", "mp4", str(target)),
    ]


def build_media_files(
    store: FileStore, source: MediaSource, config: Mapping[str, Any], duration: float
) -> MediaSet:
    """Make the recording's derivative set (replacing any earlier one) and return it."""
    ffmpeg = config["FFMPEG_BINARY"]
    timeout = int(config["MEDIA_TIMEOUT_SECONDS"])
    original = store.original_path(source.sha256)
    with store.writing_derivatives(source.sha256) as folder:
        play = play_mime = poster = waveform = None
        if source.is_video:
            play, play_mime = "play.mp4", "video/mp4"
            run(video_command(ffmpeg, original, folder / play, source), timeout)
            poster = "poster.jpg"
            at = min(1.0, duration / 2)
            run(
                [
                    *(ffmpeg, "-nostdin", "-v", "error", "-y", "-ss", f"{at:.3f}"),
                    *("-i", str(folder / play), "-frames:v", "1"),
                    *("-vf", f"scale='min({POSTER_MAX_WIDTH},iw)':-2", "-q:v", "3"),
                    str(folder / poster),
                ],
                timeout,
            )
            picture = folder / poster
        else:
            if not plays_as_is(source):
                play, play_mime = "play.m4a", "audio/mp4"
                run(audio_command(ffmpeg, original, folder / play), timeout)
            waveform = "waveform.png"
            width, height = WAVEFORM_SIZE
            run(
                [
                    *(ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(original)),
                    *("-filter_complex", f"[0:a:0]showwavespic=s={width}x{height}:colors=#2f6b8f"),
                    *("-frames:v", "1", str(folder / waveform)),
                ],
                timeout,
            )
            picture = folder / waveform
        run(
            [
                *(ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(picture)),
                *("-vf", f"scale={THUMBNAIL_WIDTH}:-2", "-q:v", "4", str(folder / "thumb.jpg")),
            ],
            timeout,
        )
        thumb_width, thumb_height = picture_size(ffmpeg, folder / "thumb.jpg", config)
        media_set = MediaSet(
            play, play_mime, poster, "thumb.jpg", thumb_width, thumb_height, waveform
        )
        (folder / SET_FILE).write_text(json.dumps(media_set.__dict__))
    return media_set


def load_media_set(store: FileStore, sha256: str) -> MediaSet | None:
    """The built set, or None while it is not there."""
    try:
        data = json.loads((store.derivative_dir(sha256) / SET_FILE).read_text())
        return MediaSet(**data)
    except (OSError, ValueError, TypeError):
        return None


def picture_size(ffmpeg: str, path: Path, config: Mapping[str, Any]) -> tuple[int, int]:
    """Width and height of a picture ffmpeg wrote, read back with ffprobe."""
    done = subprocess.run(
        [
            config["FFPROBE_BINARY"],
            *("-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height"),
            *("-of", "csv=p=0", str(path)),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    width, height = done.stdout.decode().strip().split(",")[:2]
    return int(width), int(height)


def run(command: list[str], timeout: int) -> None:
    """Run one ffmpeg command; TranscodeFailed with the end of its log if it fails."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise TranscodeFailed(f"ffmpeg ran longer than {timeout} s") from error
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise TranscodeFailed(f"ffmpeg exited with {done.returncode}: {tail}")
