#!/usr/bin/env bash
# A private Redis server for the task queue and shared rate limits in tests.
#
#   scripts/services/redis.sh start|stop|status|url
#
# Listens on 127.0.0.1:${HUIKU_REDIS_PORT:-63790} only, keeps no data on disk
# (the job rows in the database are the truth; a lost queue is recovered from
# them). Debian's redis-server is installed when missing. See common.sh for
# where its state lives.
set -euo pipefail
# shellcheck source=scripts/services/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REDIS_PORT=${HUIKU_REDIS_PORT:-63790}
REDIS_STATE=$(state_dir redis)
REDIS_START_TIMEOUT=${HUIKU_REDIS_START_TIMEOUT:-30}

ensure_redis_installed() {
    if ! command -v redis-server >/dev/null 2>&1; then
        if is_root; then
            apt_install redis-server
        else
            die "redis-server not found. Install it with: sudo apt-get install redis-server"
        fi
    fi
}

our_pid() {
    local pid
    [ -f "$REDIS_STATE/redis.pid" ] || return 1
    pid=$(head -n1 "$REDIS_STATE/redis.pid" 2>/dev/null || true)
    pid_alive_with "$pid" "redis-server" || return 1
    echo "$pid"
}

ready() {
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

url() {
    echo "redis://127.0.0.1:$REDIS_PORT/0"
}

start() {
    ensure_redis_installed
    if already_answering "a Redis server" "$REDIS_PORT" ready HUIKU_REDIS_PORT; then
        return 0
    fi
    REDIS_STATE=$(prepare_state_dir redis)
    log "starting on 127.0.0.1:$REDIS_PORT (state: $REDIS_STATE)"
    as_svc redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --dir "$REDIS_STATE" --pidfile "$REDIS_STATE/redis.pid" \
        --logfile "$REDIS_STATE/redis.log" --save "" --appendonly no >/dev/null
    wait_until ready 0.2 "$REDIS_START_TIMEOUT" "$REDIS_STATE/redis.log" \
        "Redis did not become ready on 127.0.0.1:$REDIS_PORT within $REDIS_START_TIMEOUT s"
    log "ready: $(url)"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        log "not running (from this checkout)"
        return 0
    fi
    log "stopping (pid $pid)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    wait_for_exit "$pid"
}

status() { report_status "Redis" "127.0.0.1:$REDIS_PORT" ready; }

run_service_command "$@"
