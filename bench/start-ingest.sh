# Sourced by the bench scripts: starts batchrun-ingest from $bin on a fresh topic prefix
# ("bench-<name>-<ns>.") against $brokers, on $port, with API key $key (project "bench"), logging
# to a temp file; sets $pid (killed on exit) and waits until /readyz answers.
#   start_ingest <name> [extra VAR=value ...]
start_ingest() {
  local name=$1
  shift
  local hash log
  hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
  log=$(mktemp "/tmp/bench-$name.XXXXXX.log")
  env BATCHRUN_KAFKA_BROKERS="$brokers" BATCHRUN_TOPIC_PREFIX="bench-$name-$(date +%s%N)." \
    BATCHRUN_INGEST_PORT="$port" BATCHRUN_API_KEYS="$hash:bench" BATCHRUN_LOG_LEVEL=warn "$@" \
    "$bin/batchrun-ingest" >"$log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
}
