#!/usr/bin/env bash
# Lighthouse for bench/lighthouse.py (the record page's performance score).
#
#   scripts/services/lighthouse.sh ensure
#
# Installs the exact versions in bench/lighthouse/package-lock.json with `npm ci` into
# <repo>/.cache/lighthouse/ (git-ignored) and prints that folder on stdout (progress goes to
# stderr). Does nothing, quickly, when that lock file is installed there already. Needs node
# (>= 18.16) and npm (Debian: sudo apt-get install nodejs npm) and Debian's Chromium
# (scripts/services/chromium.sh); HUIKU_NPM_REGISTRY points npm at a mirror.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SOURCE=$HUIKU_REPO/bench/lighthouse
TOOLS=$HUIKU_REPO/.cache/lighthouse

ensure() {
    command -v node >/dev/null 2>&1 || die "node is not installed (Debian: sudo apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: sudo apt-get install npm)"
    npm_ci_locked "$SOURCE" "$TOOLS"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
