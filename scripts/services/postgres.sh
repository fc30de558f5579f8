#!/usr/bin/env bash
# A private PostgreSQL cluster for the test suite.
#
#   scripts/services/postgres.sh start|stop|status|url
#
# The cluster listens on 127.0.0.1:${HUIKU_PG_PORT:-54329} only, trusts local
# connections (it is a throwaway test database) and has the superuser "huiku"
# and the databases huiku_test and huiku. See common.sh for where its state lives.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PORT=${HUIKU_PG_PORT:-54329}
PG_SUPERUSER=huiku
PG_DATABASES=(huiku_test huiku)
PG_STATE=$(state_dir postgres)
PG_DATA=$PG_STATE/data
PG_LOG=$PG_STATE/postgres.log
PG_RUN=$PG_STATE/run
PG_START_TIMEOUT=${HUIKU_PG_START_TIMEOUT:-60}

# Newest server installation, e.g. /usr/lib/postgresql/15/bin (empty if none).
pg_bindir() {
    local initdb
    initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1 || true)
    if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

ensure_pg_installed() {
    if [ -z "$(pg_bindir)" ]; then
        if is_root; then
            # Debian's package may also create and start its own 5432 cluster; harmless, we never use it.
            apt_install postgresql
        else
            die "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Install them with: sudo apt-get install postgresql"
        fi
    fi
    PG_BIN=$(pg_bindir)
    [ -n "$PG_BIN" ] || die "PostgreSQL server binaries still missing after install"
}

# pid of the postmaster of our cluster, if it is running.
our_pid() {
    local pid
    [ -f "$PG_DATA/postmaster.pid" ] || return 1
    pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
    pid_alive_with "$pid" postgres || return 1
    echo "$pid"
}

# Server accepting connections on our port (whoever runs it).
ready() {
    local bin=${PG_BIN:-$(pg_bindir)}
    if [ -n "$bin" ] && [ -x "$bin/pg_isready" ]; then
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3
    else
        port_open "$PG_PORT"
    fi
}

url() {
    echo "postgresql+psycopg://$PG_SUPERUSER@127.0.0.1:$PG_PORT/huiku_test"
}

init_cluster() {
    [ -f "$PG_DATA/PG_VERSION" ] && return 0
    log "initialising cluster in $PG_DATA"
    rm -rf "$PG_DATA"
    if ! as_svc "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" --auth=trust \
        --encoding=UTF8 --no-locale >"$PG_STATE/initdb.log" 2>&1; then
        show_log_tail "$PG_STATE/initdb.log"
        die "initdb failed"
    fi
    # Only loopback TCP and the private socket; no password (test data only).
    write_as_svc "$PG_DATA/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
    echo "include_if_exists = 'huiku.conf'" >>"$PG_DATA/postgresql.conf"
}

# Settings that may change between starts (port) are rewritten every time.
write_runtime_conf() {
    local sockdir=$PG_RUN
    # Unix socket paths are limited to ~107 bytes; fall back to TCP only.
    if [ $((${#sockdir} + 20)) -gt 100 ]; then sockdir=''; fi
    if [ -n "$sockdir" ]; then
        as_svc mkdir -p "$sockdir"
    fi
    write_as_svc "$PG_DATA/huiku.conf" <<EOF
# Written by scripts/services/postgres.sh on each start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sockdir'
# Throwaway test data: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

ensure_databases() {
    local db existing
    existing=$("$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -Atq \
        -c "SELECT datname FROM pg_database") ||
        die "cannot connect to PostgreSQL on 127.0.0.1:$PG_PORT as $PG_SUPERUSER (is another server using that port? set HUIKU_PG_PORT)"
    for db in "${PG_DATABASES[@]}"; do
        if ! grep -qx "$db" <<<"$existing"; then
            "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -E UTF8 -T template0 "$db"
            log "created database $db"
        fi
    done
}

start() {
    ensure_pg_installed
    if already_answering "a PostgreSQL server" "$PG_PORT" ready HUIKU_PG_PORT; then
        ensure_databases
        return 0
    fi

    PG_STATE=$(prepare_state_dir postgres)
    exec 9>"$PG_STATE/.lock"
    flock 9
    init_cluster
    write_runtime_conf
    if ! our_pid >/dev/null; then
        log "starting on 127.0.0.1:$PG_PORT (data: $PG_DATA)"
        if ! as_svc "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_START_TIMEOUT" start >/dev/null; then
            show_log_tail "$PG_LOG"
            die "PostgreSQL did not become ready on 127.0.0.1:$PG_PORT within $PG_START_TIMEOUT s; log: $PG_LOG"
        fi
    fi
    wait_until ready 0.5 "$PG_START_TIMEOUT" "$PG_LOG" \
        "PostgreSQL did not become ready on 127.0.0.1:$PG_PORT within $PG_START_TIMEOUT s; log: $PG_LOG"
    ensure_databases
    log "ready: $(url)"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        log "not running (from this checkout)"
        return 0
    fi
    ensure_pg_installed
    log "stopping (pid $pid)"
    if ! as_svc "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null; then
        log "fast shutdown timed out; sending SIGQUIT"
        kill -QUIT "$pid" 2>/dev/null || true
    fi
}

status() { report_status "PostgreSQL" "127.0.0.1:$PG_PORT" ready ", data $PG_DATA"; }

run_service_command "$@"
