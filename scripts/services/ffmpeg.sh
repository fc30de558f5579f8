#!/usr/bin/env bash
# FFmpeg (ffmpeg and ffprobe) for audio and video recordings: verifying uploads, building the
# web-playable derivatives, posters and waveforms (repository/media/), the tests in tests/media/
# and bench/transcode.py.
#
#   scripts/services/ffmpeg.sh ensure
#
# Installs Debian's ffmpeg when it is missing (as root) and prints the ffmpeg binary's path on
# stdout (progress goes to stderr). It starts nothing: FFmpeg is a command, run per file.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ffmpeg_binary() {
    local found
    found=$(command -v ffmpeg 2>/dev/null || true)
    [ -n "$found" ] && command -v ffprobe >/dev/null 2>&1 && echo "$found"
}

ensure() {
    local binary
    if ! binary=$(ffmpeg_binary); then
        is_root || die "ffmpeg not found. Install it with: sudo apt-get install ffmpeg"
        apt_install ffmpeg
        binary=$(ffmpeg_binary) || die "ffmpeg was installed but no ffmpeg/ffprobe binary was found"
    fi
    echo "$binary"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
