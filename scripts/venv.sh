# shellcheck shell=bash
# Creates <repo>/.venv and installs Huiku into it (with optional extras such as "[test]").
# Sourced by scripts/test and scripts/demo, which define REPO, VENV, say and die.
# Re-installs only when pyproject.toml, the Python version or the extras change.

ensure_venv() {
    local extras=${1:-}
    [ -f "$REPO/pyproject.toml" ] || die "no pyproject.toml in $REPO"
    if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        say "creating $VENV"
        rm -rf "$VENV"
        if ! python3 -m venv "$VENV"; then
            # Debian's own python3 needs the python3-venv package for ensurepip.
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
                DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
                    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
                rm -rf "$VENV"
                python3 -m venv "$VENV"
            else
                die "python3 -m venv failed (on Debian: sudo apt-get install python3-venv)"
            fi
        fi
    fi
    local stamp=$VENV/.huiku-installed want
    want=$(cat "$REPO/pyproject.toml" <("$VENV/bin/python" -V 2>&1) <(echo "$extras") | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        say "installing Huiku into .venv (pip install -e '.$extras')"
        (cd "$REPO" && "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".$extras") ||
            die "pip install -e '.$extras' failed"
        echo "$want" >"$stamp"
    fi
}

