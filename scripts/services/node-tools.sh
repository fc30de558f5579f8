#!/usr/bin/env bash
# Node packages the test suite runs (today @iiif/parser, which checks IIIF Presentation documents).
#
#   scripts/services/node-tools.sh ensure
#
# Installs the exact versions in tests/iiif/node/package-lock.json with `npm ci` into
# <repo>/.cache/node-tools/ (git-ignored) and prints that folder on stdout (progress goes to
# stderr). Does nothing, quickly, when that lock file is installed there already. Needs node and
# npm (Debian: sudo apt-get install nodejs npm); HUIKU_NPM_REGISTRY points npm at a mirror.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SOURCE=$HUIKU_REPO/tests/iiif/node
TOOLS=$HUIKU_REPO/.cache/node-tools
NODE_MIN_MAJOR=18

ensure() {
    command -v node >/dev/null 2>&1 || die "node is not installed (Debian: sudo apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: sudo apt-get install npm)"
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge "$NODE_MIN_MAJOR" ] || die "node $(node --version) is too old; $NODE_MIN_MAJOR or newer is needed"
    npm_ci_locked "$SOURCE" "$TOOLS"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
