#!/bin/sh
# Install the system packages some tests need, when they are missing and we may install them.
#
# Today that is Debian's redis-server, used by tests/test_server_sessions.py to test the Redis
# session store against a real server. Idempotent: does nothing when redis-server is already on
# PATH, when not running as root, or when apt-get is not available. Always exits 0: the tests
# that need a missing program skip with a message saying why, so a machine without it still runs
# the rest of the suite.
set -u

log() {
    echo "install-test-deps: $*" >&2
}

if command -v redis-server >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    log "redis-server is missing and we are not root; not installing it (Redis tests will skip)."
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "redis-server is missing and apt-get is not available (Redis tests will skip)."
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log "installing redis-server with apt-get..."
if apt-get update -qq >/dev/null 2>&1 &&
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1; then
    log "redis-server installed."
else
    log "could not install redis-server (Redis tests will skip)."
fi
exit 0
