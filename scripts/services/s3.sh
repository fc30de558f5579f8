#!/usr/bin/env bash
# A private S3-compatible server for the object-storage tests: moto's standalone server.
#
#   scripts/services/s3.sh start|stop|status|url
#
# Listens on 127.0.0.1:${HUIKU_S3_PORT:-9000} only and keeps everything in memory: each test
# makes its own bucket. It stands in for MinIO, Ceph RGW, Aliyun OSS and Tencent COS
# (docs/storage.md). `moto_server` comes from the project's .venv (the `moto[server]` test extra);
# run scripts/test, or `.venv/bin/pip install -e '.[test]'`, first.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

S3_PORT=${HUIKU_S3_PORT:-9000}
S3_STATE=$(state_dir s3)
S3_START_TIMEOUT=${HUIKU_S3_START_TIMEOUT:-60}
MOTO_SERVER=$HUIKU_REPO/.venv/bin/moto_server

our_pid() {
    local pid
    [ -f "$S3_STATE/s3-$S3_PORT.pid" ] || return 1
    pid=$(head -n1 "$S3_STATE/s3-$S3_PORT.pid" 2>/dev/null || true)
    pid_alive_with "$pid" "moto_server" || return 1
    echo "$pid"
}

url() {
    echo "http://127.0.0.1:$S3_PORT"
}

# moto answers its own dashboard API; an S3 server of another kind would not.
ready() {
    http_get "$(url)/moto-api/data.json" 5 >/dev/null 2>&1
}

# While starting: a server that has exited will never be ready.
running_and_ready() {
    if ! our_pid >/dev/null; then
        show_log_tail "$S3_STATE/s3-$S3_PORT.log"
        die "the S3 server exited while starting on 127.0.0.1:$S3_PORT"
    fi
    ready
}

start() {
    [ -x "$MOTO_SERVER" ] || die "$MOTO_SERVER not found. Install the test extra: .venv/bin/pip install -e '.[test]'"
    if already_answering "a moto server" "$S3_PORT" ready HUIKU_S3_PORT; then
        return 0
    fi
    # Runs as the invoking user: it is the venv's Python, which the service user may not reach.
    mkdir -p "$S3_STATE"
    log "starting on 127.0.0.1:$S3_PORT (state: $S3_STATE)"
    nohup "$MOTO_SERVER" -H 127.0.0.1 -p "$S3_PORT" >"$S3_STATE/s3-$S3_PORT.log" 2>&1 </dev/null &
    echo $! >"$S3_STATE/s3-$S3_PORT.pid"
    wait_until running_and_ready 0.2 "$S3_START_TIMEOUT" "$S3_STATE/s3-$S3_PORT.log" \
        "the S3 server did not become ready on 127.0.0.1:$S3_PORT within $S3_START_TIMEOUT s"
    log "ready: $(url)"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        log "not running (from this checkout)"
        return 0
    fi
    log "stopping (pid $pid)"
    kill "$pid" 2>/dev/null || true
    wait_for_exit "$pid"
    rm -f "$S3_STATE/s3-$S3_PORT.pid"
}

status() { report_status "S3 (moto)" "127.0.0.1:$S3_PORT" ready; }

run_service_command "$@"
