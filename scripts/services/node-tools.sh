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
STAMP=$TOOLS/.installed-lock.sha256
NODE_MIN_MAJOR=18

ensure() {
    command -v node >/dev/null 2>&1 || die "node is not installed (Debian: sudo apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: sudo apt-get install npm)"
    local major want
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge "$NODE_MIN_MAJOR" ] || die "node $(node --version) is too old; $NODE_MIN_MAJOR or newer is needed"
    want=$(sha256sum "$SOURCE/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ] || [ ! -d "$TOOLS/node_modules" ]; then
        log "installing tests/iiif/node/package-lock.json into $TOOLS (npm ci)"
        mkdir -p "$TOOLS"
        rm -f "$STAMP"
        cp "$SOURCE/package.json" "$SOURCE/package-lock.json" "$TOOLS/"
        local npmlog registry=()
        npmlog=$(mktemp)
        if [ -n "${HUIKU_NPM_REGISTRY:-}" ]; then registry=(--registry "$HUIKU_NPM_REGISTRY"); fi
        if ! (cd "$TOOLS" && npm ci --ignore-scripts --no-audit --no-fund "${registry[@]}") >"$npmlog" 2>&1; then
            show_log_tail "$npmlog" 30
            die "npm ci in $TOOLS failed"
        fi
        rm -f "$npmlog"
        echo "$want" >"$STAMP"
    fi
    echo "$TOOLS"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
