"""What a recording really is, asked of ffprobe, and whether Huiku accepts it.

The file's name only routes it here (``is_recording_name``); the container and codecs come
from ffprobe, so a text file named ``.mp4``, a truncated MP4 (no ``moov`` atom) or a WAV named
``.mp3`` are refused with a message naming the file and what is wrong. An attached picture (an
MP3's cover) is not a video stream; a rotation flag turns the displayed width and height.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repository.media.models import MediaKind
from repository.messages import Message

#: Accepted containers by ffprobe's format name → (short name, MIME type, file extensions).
CONTAINERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "mp3": ("mp3", "audio/mpeg", (".mp3",)),
    "aac": ("aac", "audio/aac", (".aac",)),
    "wav": ("wav", "audio/wav", (".wav",)),
    "flac": ("flac", "audio/flac", (".flac",)),
    "mov,mp4,m4a,3gp,3g2,mj2": ("mp4", "video/mp4", (".mp4", ".m4a", ".m4v", ".mov", ".aac")),
    "matroska,webm": ("webm", "video/webm", (".webm",)),
}
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "prores"})
AUDIO_CODECS = frozenset(
    {"aac", "mp3", "flac", "opus", "vorbis", "alac"}
    | {f"pcm_{k}" for k in ("s16le", "s24le", "s32le", "f32le", "u8", "s16be", "s24be")}
)
#: Names that send an upload to the recordings path instead of the images'.
RECORDING_EXTENSIONS = frozenset(
    extension for _, _, extensions in CONTAINERS.values() for extension in extensions
)
_NAMES = {".mp3": "MP3", ".aac": "AAC", ".wav": "WAV", ".flac": "FLAC", ".webm": "WebM"}
_NAMES.update(dict.fromkeys((".mp4", ".m4a", ".m4v", ".mov"), "MP4/MOV"))


class RecordingRejected(Exception):
    """An upload that cannot be accepted; ``code`` is one of ``not_media``, ``damaged``,
    ``empty``, ``unsupported``, ``extension``, ``too_long``, ``too_large``, ``no_ffmpeg``."""

    def __init__(self, code: str, message: Message, filename: str) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.filename = filename


@dataclass(frozen=True)
class ProbedMedia:
    """A verified recording: what it is, how long, how large it is displayed."""

    kind: MediaKind
    container: str
    mime_type: str
    duration: float
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    rotation: int
    pixel_format: str | None


def is_recording_name(filename: str) -> bool:
    return Path(filename).suffix.lower() in RECORDING_EXTENSIONS


def ffmpeg_problem(config: Mapping[str, Any]) -> Message | None:
    """Why recordings cannot be accepted on this machine, or None when FFmpeg is there."""
    for key in ("FFPROBE_BINARY", "FFMPEG_BINARY"):
        try:
            subprocess.run([config[key], "-version"], capture_output=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return Message(
                "FFmpeg is not installed on this server ({binary} cannot be run), so audio and "
                "video cannot be accepted; images still can. Install it with: "
                "sudo apt-get install ffmpeg"
            ).format(binary=config[key])
    return None


def probe(path: Path, filename: str, config: Mapping[str, Any]) -> ProbedMedia:
    """Verify one stored upload; raise RecordingRejected naming the file and the reason."""

    def reject(code: str, problem: Message, **values: Any) -> RecordingRejected:
        message = Message("{name}: {problem}").format(
            name=filename, problem=problem.format(**values)
        )
        return RecordingRejected(code, message, filename)

    if path.stat().st_size == 0:
        raise reject("empty", Message("the file is empty"))
    info = _ffprobe(path, filename, config)
    if info is None:
        raise reject("not_media", Message("not an audio or video file FFmpeg can read"))
    if isinstance(info, Message):
        raise reject(
            "damaged",
            Message("the file is damaged or incomplete ({detail}); upload the whole file again"),
            detail=info,
        )
    format_name = info.get("format", {}).get("format_name", "")
    if format_name not in CONTAINERS:
        raise reject(
            "unsupported",
            Message(
                "{found} files are not accepted; use MP3, M4A/AAC, WAV, FLAC, MP4, WebM or MOV"
            ),
            found=format_name.split(",")[0].upper() or "?",
        )
    container, mime_type, extensions = CONTAINERS[format_name]
    suffix = Path(filename).suffix.lower()
    if suffix not in extensions:
        raise reject(
            "extension",
            Message("the name ends in {suffix} but the file is {real}; rename it to what it is"),
            suffix=suffix or "(none)",
            real=_NAMES.get(extensions[0], container.upper()),
        )
    streams = info.get("streams", [])
    videos = [s for s in streams if s.get("codec_type") == "video" and not _is_picture(s)]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos and not audios:
        raise reject("not_media", Message("the file has no sound or picture"))
    video, audio = (videos[0] if videos else None), (audios[0] if audios else None)
    for stream, known in ((video, VIDEO_CODECS), (audio, AUDIO_CODECS)):
        if stream is not None and stream.get("codec_name") not in known:
            raise reject(
                "unsupported",
                Message("its {what} codec {codec} is not accepted"),
                what=Message("video") if stream["codec_type"] == "video" else Message("audio"),
                codec=stream.get("codec_name", "?"),
            )
    duration = _duration(info, video or audio)
    if duration <= 0:
        raise reject("empty", Message("the recording has no duration (0 seconds)"))
    limit = int(config["MAX_RECORDING_SECONDS"])
    if duration > limit:
        raise reject(
            "too_long",
            Message("it lasts {length}, longer than the {limit} this repository accepts"),
            length=format_duration(duration),
            limit=format_duration(limit),
        )
    width = height = None
    rotation = 0
    if video is not None:
        rotation = _rotation(video)
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        if rotation in (90, 270):
            width, height = height, width
        if not width or not height:
            raise reject("damaged", Message("the video has no picture size"))
    kind = MediaKind.VIDEO if video is not None else MediaKind.AUDIO
    if kind is MediaKind.AUDIO and mime_type.startswith("video/"):
        mime_type = "audio/mp4" if container == "mp4" else "audio/webm"
    return ProbedMedia(
        kind=kind,
        container=container,
        mime_type=mime_type,
        duration=round(duration, 3),
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        width=width,
        height=height,
        rotation=rotation,
        pixel_format=video.get("pix_fmt") if video else None,
    )


def format_duration(seconds: float) -> str:
    """``1:02:03`` or ``2:03``: how players show a length."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _ffprobe(path: Path, filename: str, config: Mapping[str, Any]) -> dict | Message | None:
    """ffprobe's JSON; a short reason for a damaged file; None for no media at all."""
    command = [
        config["FFPROBE_BINARY"],
        *("-v", "error", "-print_format", "json", "-show_format", "-show_streams"),
        str(path),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    except OSError as error:
        problem = ffmpeg_problem(config) or Message.verbatim(str(error))
        raise RecordingRejected("no_ffmpeg", problem, filename) from error
    except subprocess.TimeoutExpired:
        return Message("FFmpeg could not read it in 2 minutes")
    errors = done.stderr.decode("utf-8", "replace")
    if "moov atom not found" in errors:
        with path.open("rb") as head:
            if head.read(12)[4:8] not in _MP4_BOXES:  # not an MP4 at all, e.g. text
                return None
        return _CUT_SHORT
    if done.returncode != 0:
        if "Invalid data found" in errors:
            return None
        if not errors.strip():
            return None
        last = errors.strip().splitlines()[-1][:200]
        return Message.verbatim(last)
    try:
        info = json.loads(done.stdout)
    except ValueError:
        return None
    if not info.get("format") or info["format"].get("format_name") in _NOT_MEDIA:
        return None
    return info


_CUT_SHORT = Message("the MP4 index, its moov atom, is missing: the file was cut short")
#: The boxes an MP4 or MOV file starts with.
_MP4_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
#: Formats ffprobe reads that are pictures or text, not recordings.
_NOT_MEDIA = frozenset({"tty", "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "txt"})


def _is_picture(stream: dict) -> bool:
    """A cover image stored as a one-frame video stream (MP3, M4A, FLAC artwork)."""
    return bool(stream.get("disposition", {}).get("attached_pic")) or stream.get("codec_name") in {
        "mjpeg",
        "png",
    }


def _duration(info: dict, stream: dict | None) -> float:
    for value in (info.get("format", {}).get("duration"), (stream or {}).get("duration")):
        try:
            if value is not None and float(value) > 0:
                return float(value)
        except ValueError:
            continue
    return 0.0


def _rotation(stream: dict) -> int:
    """The display rotation in degrees, 0/90/180/270 (side data in new FFmpeg, a tag in old)."""
    value: Any = stream.get("tags", {}).get("rotate")
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            value = side["rotation"]
    try:
        return round(float(value or 0)) % 360
    except ValueError:
        return 0
