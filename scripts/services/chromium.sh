#!/usr/bin/env bash
# Headless Chromium for screenshot/browser tests.
#
#   scripts/services/chromium.sh ensure
#
# Prints the browser's path on stdout (progress goes to stderr). As root it
# installs Debian's chromium when missing, plus fonts-wqy-zenhei (~10 MB) so
# Chinese text renders instead of boxes. As a normal user it only reports.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHROMIUM=/usr/bin/chromium
CJK_FONT_PACKAGE=fonts-wqy-zenhei

font_installed() {
    dpkg-query -W -f='${Status}' "$CJK_FONT_PACKAGE" 2>/dev/null | grep 'install ok installed' >/dev/null
}

ensure() {
    local missing=()
    [ -x "$CHROMIUM" ] || missing+=(chromium)
    font_installed || missing+=("$CJK_FONT_PACKAGE")
    if [ ${#missing[@]} -gt 0 ]; then
        if is_root; then
            apt_install "${missing[@]}"
        elif [ ! -x "$CHROMIUM" ]; then
            die "Chromium not found at $CHROMIUM. Install it with: sudo apt-get install chromium $CJK_FONT_PACKAGE"
        else
            log "warning: $CJK_FONT_PACKAGE is not installed; Chinese text may render as boxes (sudo apt-get install $CJK_FONT_PACKAGE)"
        fi
    fi
    [ -x "$CHROMIUM" ] || die "Chromium still missing at $CHROMIUM after install"
    echo "$CHROMIUM"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
