#!/usr/bin/env bash
# Universal Viewer, which the browser tests open Huiku's audio and video manifests in
# (tests/media/test_universal_viewer_browser.py).
#
#   scripts/services/universal-viewer.sh ensure
#
# Installs the exact versions in tests/media/uv/package-lock.json with `npm ci` into
# <repo>/.cache/universal-viewer/ (git-ignored) and prints that folder on stdout. Does nothing,
# quickly, when that lock file is installed there already. Needs node and npm;
# HUIKU_NPM_REGISTRY points npm at a mirror.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SOURCE=$HUIKU_REPO/tests/media/uv
TOOLS=$HUIKU_REPO/.cache/universal-viewer

ensure() {
    command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: sudo apt-get install nodejs npm)"
    npm_ci_locked "$SOURCE" "$TOOLS"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
