#!/usr/bin/env bash
# Install Debian's chromium for the browser tests (tests/browser) when it is missing.
#
# Idempotent: does nothing when `chromium` is already on PATH. The tests drive this system browser
# through Playwright; never run `playwright install` (it downloads a browser build of its own).
# Installing needs root (or passwordless sudo) and apt-get. Always exits 0: without chromium the
# browser tests skip with a message saying how to install it, and the rest of the suite runs.
set -u

log() {
    echo "install-browser: $*" >&2
}

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "chromium is missing and apt-get is not available (browser tests will skip)."
    exit 0
fi
if [ "$(id -u)" = "0" ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
else
    log "chromium is missing and installing it needs root (browser tests will skip):"
    log "    sudo apt-get update && sudo apt-get install -y chromium"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log "installing Debian's chromium with apt-get..."
if $as_root apt-get update -qq >/dev/null 2>&1 &&
    $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 &&
    command -v chromium >/dev/null 2>&1; then
    log "$(chromium --version 2>/dev/null || echo chromium) installed."
else
    log "could not install chromium (browser tests will skip)."
fi
exit 0
