#!/usr/bin/env bash
# IIPImage (Debian's iipimage-server) for bench/iiif_image.py, which compares Huiku's IIIF Image
# API with iipsrv behind nginx on the same pyramidal TIFF; libvips-tools gives the `vips`
# command that writes that TIFF, and wrk is the load generator.
#
#   scripts/services/iipsrv.sh ensure
#
# Installs the packages when missing (as root) and prints two lines on stdout: the iipsrv
# FastCGI binary and the vips binary (progress goes to stderr). It starts nothing: the bench
# runs its own iipsrv and nginx with generated settings in a temporary folder. The packages'
# own services (Apache's, pulled in by some installs) are kept from starting (policy-rc.d).
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

POLICY=/usr/sbin/policy-rc.d
IIPSRV=/usr/lib/iipimage-server/iipsrv.fcgi

vips_binary() { command -v vips 2>/dev/null; }

install_without_starting() {
    is_root || die "iipsrv or vips not found. Install them with: sudo apt-get install iipimage-server libvips-tools"
    local made_policy=""
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        made_policy=1
    fi
    # shellcheck disable=SC2064 # expand now: remove exactly the file made here
    [ -z "$made_policy" ] || trap "rm -f '$POLICY'" EXIT
    apt_install iipimage-server libvips-tools wrk
}

ensure() {
    if [ ! -x "$IIPSRV" ] || ! vips_binary >/dev/null || ! command -v wrk >/dev/null; then
        install_without_starting
    fi
    [ -x "$IIPSRV" ] || die "iipimage-server was installed but $IIPSRV is missing"
    echo "$IIPSRV"
    vips_binary || die "libvips-tools was installed but no vips binary was found"
}

case "${1:-}" in
ensure) ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
