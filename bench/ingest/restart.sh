#!/usr/bin/env bash
# How long a restarted ingest takes to be ready again (its read view reading the run topics back),
# docs/performance.md "Read view". Starts batchrun-ingest on a fresh topic prefix, loads it with
# bench_ingest for load_s seconds, stops it, starts it again on the same prefix and times /readyz.
#   BATCHRUN_KAFKA_BROKERS=127.0.0.1:9092 bench/ingest/restart.sh [load_s] [connections]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BATCHRUN_BIN_DIR:-$root/build/bin}
brokers=${BATCHRUN_KAFKA_BROKERS:-127.0.0.1:9092}
load=${1:-10}
connections=${2:-8}
key=bench-key
port=${BENCH_PORT:-18490}
hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
prefix="bench-restart-$(date +%s%N)."
log=$(mktemp /tmp/bench-restart.XXXXXX.log)
pid=
trap '[[ -n $pid ]] && kill $pid 2>/dev/null || true' EXIT

start() {
  env BATCHRUN_KAFKA_BROKERS="$brokers" BATCHRUN_TOPIC_PREFIX="$prefix" BATCHRUN_INGEST_PORT="$port" \
    BATCHRUN_API_KEYS="$hash:bench" BATCHRUN_LOG_LEVEL=warn "$bin/batchrun-ingest" >>"$log" 2>&1 &
  pid=$!
}
# Polls /readyz every 50 ms for up to 10 minutes.
wait_ready() {
  for _ in $(seq 1 12000); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "ingest not ready after 10 minutes (log: $log)" >&2
  return 1
}
stop() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
}

start
wait_ready
curl -fs -X PUT "http://127.0.0.1:$port/v1/workflows/bench" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"endpoint":"http://127.0.0.1:9/run"}' >/dev/null
"$bin/bench_ingest" --url "http://127.0.0.1:$port" --key "$key" --connections "$connections" --duration "$load" |
  grep accepted_items
stop
began=$(date +%s%N)
start
wait_ready
ended=$(date +%s%N)
echo "restart: ready in $(((ended - began) / 1000000)) ms, RSS $(awk '/VmRSS/{print $2}' "/proc/$pid/status") kB"
stop
