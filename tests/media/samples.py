"""Small recordings made with FFmpeg's own test sources, once per test session.

Each sample is made by one ffmpeg command, so what a test feeds Huiku is a real file of its
kind: the container and codecs a phone, a recorder or an editing program would write.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"

_PICTURE = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration={seconds}"]
_TONE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration={seconds}"]
_H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]

#: name → ffmpeg arguments between the inputs and the output file.
RECIPES: dict[str, list[str]] = {
    "clip.mp4": [*_PICTURE, *_TONE, *_H264, "-c:a", "aac", "-shortest"],
    "clip.webm": [
        *_PICTURE,
        *_TONE,
        *("-c:v", "libvpx", "-deadline", "realtime", "-b:v", "300k", "-c:a", "libopus"),
    ],
    "clip.mov": [*_PICTURE, *_TONE, *_H264, "-c:a", "aac", "-shortest", "-f", "mov"],
    "silent.mp4": [*_PICTURE, *_H264],
    "tone.mp3": [*_TONE, "-c:a", "libmp3lame", "-b:a", "64k"],
    "tone.m4a": [*_TONE, "-c:a", "aac", "-b:a", "64k"],
    "tone.wav": [*_TONE, "-c:a", "pcm_s16le"],
    "tone.flac": [*_TONE, "-c:a", "flac"],
    "adpcm.wav": [*_TONE, "-c:a", "adpcm_ms"],
    "mpeg2.mp4": [*_PICTURE, "-c:v", "mpeg2video"],
    "empty.wav": ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "0", "-c:a", "pcm_s16le"],
    # A phone held upright: landscape pixels with a flag saying "turn 90°".
    "upright.mp4": [*_PICTURE, *_TONE, *_H264, "-c:a", "aac", "-shortest"],
    "cover.mp3": [
        *_TONE,
        *("-f", "lavfi", "-i", "color=c=red:size=300x300:duration=1", "-frames:v", "1"),
        *("-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "mjpeg"),
        *("-disposition:v", "attached_pic", "-id3v2_version", "3"),
    ],
}


def make_sample(folder: Path, name: str, seconds: float = 2) -> Path:
    """The sample ``name`` in ``folder``, made once."""
    target = folder / f"{seconds:g}s-{name}"
    if target.exists():
        return target
    arguments = [part.format(seconds=seconds) for part in RECIPES[name]]
    command = [FFMPEG, "-nostdin", "-v", "error", "-y", *arguments, str(target)]
    subprocess.run(command, check=True, capture_output=True)
    if name == "upright.mp4":
        rotated = target.with_name(f"rotated-{target.name}")
        flag = ["-c", "copy", "-metadata:s:v:0", "rotate=90"]
        subprocess.run(
            [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(target), *flag, str(rotated)],
            check=True,
            capture_output=True,
        )
        rotated.replace(target)
    return target


def truncated_mp4(folder: Path) -> Path:
    """An MP4 cut short before its index (the ``moov`` atom written at the end)."""
    whole = make_sample(folder, "clip.mp4")
    data = whole.read_bytes()
    cut = folder / "cut-short.mp4"
    cut.write_bytes(data[: data.rfind(b"moov") - 8])
    return cut
