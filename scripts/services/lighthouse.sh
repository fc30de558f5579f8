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
STAMP=$TOOLS/.installed-lock.sha256

ensure() {
    command -v node >/dev/null 2>&1 || die "node is not installed (Debian: sudo apt-get install nodejs npm)"
    command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: sudo apt-get install npm)"
    local want
    want=$(sha256sum "$SOURCE/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ] || [ ! -d "$TOOLS/node_modules" ]; then
        log "installing bench/lighthouse/package-lock.json into $TOOLS (npm ci)"
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
