# Shared helpers for batchrun's scripts. Sourced, not run.
# shellcheck shell=bash
BATCHRUN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BATCHRUN_CACHE="${BATCHRUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/batchrun}"
# The broker's version (docs/kafka.md); its major picks the logging the broker is set up with
# (kafka/pom.xml's profiles, scripts/kafka's logging configuration).
BATCHRUN_KAFKA_VERSION="${BATCHRUN_KAFKA_VERSION:-4.4.0}"
BATCHRUN_KAFKA_MAJOR="${BATCHRUN_KAFKA_VERSION%%.*}"
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

# proc_running PID PATTERN: PID is a live process of ours — not a zombie (`kill -0` succeeds on a
# process that was killed but not yet reaped) and its command line, arguments joined by spaces,
# matches the glob PATTERN (so a pid the kernel has since given to another program does not count).
proc_running() {
  local pid="$1" pattern="$2" stat argv=()
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
  stat="${stat##*) }"  # "pid (comm) state ...": comm may hold spaces and parentheses
  case "${stat%% *}" in Z | X) return 1 ;; esac
  { mapfile -d '' -t argv <"/proc/$pid/cmdline"; } 2>/dev/null || return 1
  # shellcheck disable=SC2053  # PATTERN is a glob on purpose
  [[ "${argv[*]}" == $pattern ]]
}
# pidfile_running PIDFILE PATTERN: the same for the pid written in PIDFILE.
pidfile_running() { [ -f "$1" ] && proc_running "$(<"$1")" "$2"; }
proc_gone() { ! proc_running "$@"; }
# wait_exec PID PATTERN WHAT: for a process just started as `( ...; exec CMD ) &`, waits until it
# runs CMD or has ended. Until the exec its command line is the calling script's, and a caller
# that checked proc_running in between (a loaded machine makes that window seconds long) would
# take a starting process for a dead one.
wait_exec() {
  wait_until 30 "$3 (pid $1) to start its program" exec_done "$1" "$2" || true
}
exec_done() { proc_running "$1" "$2" || proc_gone "$1" "*"; }

# start_marker LOGFILE WHAT PID: the line written to a log before a process starts appending to it.
# Logs are appended to, never truncated, so a restarted service's log keeps the last lines of the
# instance before (why it died); this line says where the new one begins. JSON, like the services'
# own lines, so the log stays one object per line.
start_marker() {
  local note=""
  [ -s "$1" ] && note="; the lines above are from an earlier instance"
  printf '{"ts":"%s","level":"info","service":"scripts","msg":"---- starting %s (pid %s)%s ----","pid":"%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$2" "$3" "$note" "$3" >>"$1"
}
