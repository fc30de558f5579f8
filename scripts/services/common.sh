# shellcheck shell=bash
# Helpers shared by scripts/services/*.sh. Sourced, never run directly.
#
# Where state lives:
#   * As a normal user, everything goes under <repo>/.services/<service>/ and the
#     services run as that user.
#   * As root (CI), PostgreSQL and Elasticsearch both refuse to run as root, so
#     they run as the system user "huiku-svc". That user usually cannot even
#     traverse the checkout (CI clones under /root or similar, mode 0700), and
#     chmod-ing the parents of someone's checkout is not ours to do. So root runs
#     keep their state in /var/lib/huiku-services/<hash of repo path>/<service>/,
#     owned by huiku-svc, and <repo>/.services/<service> is a symlink to it. Each
#     state dir records its checkout path, so state left behind by a deleted
#     checkout is pruned on the next start.

HUIKU_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
HUIKU_SVC_USER=huiku-svc
HUIKU_ROOT_STATE_BASE=/var/lib/huiku-services

log() { echo "[$(basename "$0" .sh)] $*" >&2; }
die() {
    echo "[$(basename "$0" .sh)] ERROR: $*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Print the last lines of a log file to stderr, framed, for failure reports.
show_log_tail() {
    local file=$1 lines=${2:-40}
    if [ -r "$file" ]; then
        echo "----- last $lines lines of $file -----" >&2
        tail -n "$lines" "$file" >&2 || true
        echo "----- end of $file -----" >&2
    else
        echo "(no log at $file)" >&2
    fi
}

# Whether the service already answers on 127.0.0.1:$2 (the check $3), started from this checkout
# (our_pid) or not; says which. Stops when the port is taken by something that does not answer
# like $1, naming the setting $4 that moves it.
already_answering() {
    local name=$1 port=$2 check=$3 setting=$4 pid
    if pid=$(our_pid) && "$check"; then
        log "already running (pid $pid) on 127.0.0.1:$port"
        return 0
    fi
    if [ -z "${pid:-}" ] && port_open "$port"; then
        if "$check"; then
            log "$name not started from this checkout is already on 127.0.0.1:$port; using it"
            return 0
        fi
        die "port 127.0.0.1:$port is taken by something that is not $name; set $setting"
    fi
    return 1
}

# Poll the check $1 every $2 s until it passes; after $3 s show the log $4 and stop with $5.
wait_until() {
    local check=$1 every=$2 limit=$3 log_file=$4 message=$5
    local deadline=$((SECONDS + limit))
    until "$check"; do
        if [ $SECONDS -ge $deadline ]; then
            show_log_tail "$log_file"
            die "$message"
        fi
        sleep "$every"
    done
}

# Wait for the process $1 to exit; after 15 s kill it.
wait_for_exit() {
    local pid=$1 deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then kill -9 "$pid" 2>/dev/null || true; fi
        sleep 0.1
    done
}

# Directory holding one service's state (not created here).
state_dir() {
    local name=$1
    if is_root; then
        local key
        key=$(printf '%s' "$HUIKU_REPO" | sha256sum | cut -c1-16)
        echo "$HUIKU_ROOT_STATE_BASE/$key/$name"
    else
        echo "$HUIKU_REPO/.services/$name"
    fi
}

# Create the service user when running as root; services must not run as root.
ensure_svc_user() {
    is_root || return 0
    if ! id -u "$HUIKU_SVC_USER" >/dev/null 2>&1; then
        log "creating system user $HUIKU_SVC_USER"
        useradd --system --user-group --home-dir "$HUIKU_ROOT_STATE_BASE" --no-create-home \
            --shell /usr/sbin/nologin "$HUIKU_SVC_USER"
    fi
}

# Run a command as the service user (root) or as ourselves (non-root). The cd
# avoids "could not change directory" noise when the caller's cwd is private.
as_svc() {
    if is_root; then
        (cd / && runuser -u "$HUIKU_SVC_USER" -- "$@")
    else
        "$@"
    fi
}

# Write stdin to a file owned by whoever runs the service.
write_as_svc() {
    local path=$1
    if is_root; then
        cat >"$path"
        chown "$HUIKU_SVC_USER:" "$path"
    else
        cat >"$path"
    fi
}

# Create a service's state dir (owned by the service user) and, for root runs,
# the .services/<name> symlink pointing at it. Prints the directory.
prepare_state_dir() {
    local name=$1 dir
    dir=$(state_dir "$name")
    mkdir -p "$HUIKU_REPO/.services"
    if is_root; then
        ensure_svc_user
        prune_stale_root_state
        mkdir -p "$dir"
        chmod 755 "$HUIKU_ROOT_STATE_BASE" "$(dirname "$dir")"
        printf '%s\n' "$HUIKU_REPO" >"$(dirname "$dir")/checkout-path"
        chown "$HUIKU_SVC_USER:" "$dir"
        local link="$HUIKU_REPO/.services/$name"
        if [ ! -L "$link" ] || [ "$(readlink "$link")" != "$dir" ]; then
            rm -rf "$link"
            ln -s "$dir" "$link"
        fi
    else
        # A symlink left by an earlier root run points at state we cannot own.
        if [ -L "$dir" ]; then rm -f "$dir"; fi
        mkdir -p "$dir"
    fi
    echo "$dir"
}

# Remove root-run state whose checkout no longer exists and whose processes are gone.
prune_stale_root_state() {
    local keydir repo pidfile pid busy
    [ -d "$HUIKU_ROOT_STATE_BASE" ] || return 0
    for keydir in "$HUIKU_ROOT_STATE_BASE"/*/; do
        keydir=${keydir%/}
        [ -f "$keydir/checkout-path" ] || continue
        repo=$(cat "$keydir/checkout-path")
        [ -n "$repo" ] && [ ! -e "$repo" ] || continue
        busy=0
        for pidfile in "$keydir"/postgres/data/postmaster.pid "$keydir"/elasticsearch/elasticsearch.pid \
            "$keydir"/redis/redis.pid; do
            [ -f "$pidfile" ] || continue
            pid=$(head -n1 "$pidfile" 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then busy=1; fi
        done
        if [ "$busy" -eq 0 ]; then
            log "removing state of deleted checkout $repo ($keydir)"
            rm -rf -- "$keydir"
        fi
    done
}

# Install Debian packages (root only).
apt_install() {
    is_root || die "need root to install Debian packages: $*"
    local aptlog
    aptlog=$(mktemp)
    log "installing Debian packages: $* (apt-get log: $aptlog)"
    # Another install (a second service script, unattended upgrades) may hold dpkg's lock: wait for it.
    local wait=(-o DPkg::Lock::Timeout=600)
    if ! { DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -q --no-install-recommends "$@"; } >"$aptlog" 2>&1; then
        show_log_tail "$aptlog" 30
        die "apt-get install $* failed"
    fi
    rm -f "$aptlog"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# GET a URL; prints the body, fails on connection errors and HTTP >= 400.
http_get() {
    local url=$1 max_time=${2:-10}
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time "$max_time" "$url"
    else
        python3 - "$url" "$max_time" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as r:
    sys.stdout.write(r.read().decode())
PY
    fi
}

# Process is alive and its command line contains a marker (guards against pid reuse).
pid_alive_with() {
    local pid=$1 marker=$2
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$marker" >/dev/null
}

# What `status` says of a service: running (ours), answering (someone else's), or not running,
# with the exit codes 0, 1 (our process is there but not answering yet) and 3 (not running).
# Needs the script's our_pid; $3 names its check of "answering"; $4 is added to the first line.
report_status() {
    local name=$1 where=$2 check=$3 detail=${4:-} pid
    if pid=$(our_pid) && "$check"; then
        echo "$name running: pid $pid, $where$detail"
    elif [ -n "${pid:-}" ]; then
        echo "$name process $pid exists but is not answering on $where (yet)"
        return 1
    elif "$check"; then
        echo "$name answering on $where (not started from this checkout)"
    else
        echo "$name not running on $where"
        return 3
    fi
}

# The command line of every service script: start, stop, status or url.
run_service_command() {
    case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    url) url ;;
    *)
        echo "usage: $0 start|stop|status|url" >&2
        exit 2
        ;;
    esac
}

# Install the npm packages pinned by SOURCE's package-lock.json into TOOLS (npm ci), again only
# when the lock file changes, and print TOOLS.
npm_ci_locked() {
    local source=$1 tools=$2 stamp want npmlog registry=()
    stamp=$tools/.installed-lock.sha256
    want=$(sha256sum "$source/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -d "$tools/node_modules" ]; then
        log "installing $source/package-lock.json into $tools (npm ci)"
        mkdir -p "$tools"
        rm -f "$stamp"
        cp "$source/package.json" "$source/package-lock.json" "$tools/"
        npmlog=$(mktemp)
        if [ -n "${HUIKU_NPM_REGISTRY:-}" ]; then registry=(--registry "$HUIKU_NPM_REGISTRY"); fi
        if ! (cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund "${registry[@]}") >"$npmlog" 2>&1; then
            show_log_tail "$npmlog" 30
            die "npm ci in $tools failed"
        fi
        rm -f "$npmlog"
        echo "$want" >"$stamp"
    fi
    echo "$tools"
}
