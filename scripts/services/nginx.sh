#!/usr/bin/env bash
# nginx for tests that need it: a TLS proxy with authentication in front of the test
# Elasticsearch node (tests/search/test_secured_engine.py; the node the project assembles has no
# security module, so the proxy plays a secured cluster's part), and the IIIF deployment profile
# of docs/nginx-iiif.conf on local disk and on S3 (tests/iiif/test_nginx_profile.py, also run by
# bench/cached.py).
#
#   scripts/services/nginx.sh ensure
#
# Installs Debian's nginx when it is missing (as root) and prints the nginx binary's path on
# stdout (progress goes to stderr). It starts nothing: each test fixture runs its own nginx with
# a generated configuration in its temporary folder. The package's own service is kept from
# starting during the install (policy-rc.d), so nothing ends up listening on port 80.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

POLICY=/usr/sbin/policy-rc.d

nginx_binary() {
    local found
    found=$(command -v nginx 2>/dev/null || true)
    [ -n "$found" ] || { [ -x /usr/sbin/nginx ] && found=/usr/sbin/nginx; }
    [ -n "$found" ] && echo "$found"
}

install_without_starting() {
    is_root || die "nginx not found. Install it with: sudo apt-get install nginx"
    local made_policy=""
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        made_policy=1
    fi
    # shellcheck disable=SC2064 # expand now: remove exactly the file made here
    [ -z "$made_policy" ] || trap "rm -f '$POLICY'" EXIT
    apt_install nginx
}

ensure() {
    local binary
    if ! binary=$(nginx_binary); then
        install_without_starting
        binary=$(nginx_binary) || die "nginx was installed but no nginx binary was found"
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
