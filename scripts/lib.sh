# Shared helpers for batchrun's scripts. Sourced, not run.
# shellcheck shell=bash
BATCHRUN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BATCHRUN_CACHE="${BATCHRUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/batchrun}"
BATCHRUN_KAFKA_VERSION="${BATCHRUN_KAFKA_VERSION:-3.9.1}"
BATCHRUN_KAFKA_LIBS="$BATCHRUN_CACHE/kafka-$BATCHRUN_KAFKA_VERSION/libs"
BATCHRUN_BUILD_DIR="${BATCHRUN_BUILD_DIR:-$BATCHRUN_ROOT/build}"

log() { printf '[batchrun] %s\n' "$*" >&2; }
die() { printf '[batchrun] error: %s\n' "$*" >&2; exit 1; }

# wait_until DEADLINE_SECONDS DESCRIPTION CMD...: polls CMD until it succeeds or the deadline passes.
wait_until() {
  local secs="$1" what="$2"; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then log "timed out after ${secs}s waiting for $what"; return 1; fi
    sleep 0.2
  done
}
