#!/usr/bin/env bash
# Ingest throughput next to a raw librdkafka producer on the same broker (docs/performance.md,
# "Ingest"). Starts batchrun-ingest on a fresh topic prefix against BATCHRUN_KAFKA_BROKERS, then
# alternates loading it and running the raw producer for the same duration.
#   BATCHRUN_KAFKA_BROKERS=127.0.0.1:9092 bench/ingest/run.sh [duration_s] [connections] [http_threads]
# BENCH_WARMUP_S (default 5): seconds of raw producing, then of loading ingest, before anything is
# measured.
# BENCH_ROUNDS (default 3): rounds of (ingest load, then the raw producer), each phase duration_s
# long, against one ingest on the warm broker. The raw producer's own rate moves ±20 % and more
# between back-to-back runs on a shared VM, so the ratio is taken per round (adjacent phases) and
# its median reported.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BATCHRUN_BIN_DIR:-$root/build/bin}
brokers=${BATCHRUN_KAFKA_BROKERS:-127.0.0.1:9092}
duration=${1:-20}
connections=${2:-8}
threads=${3:-2}
rounds=${BENCH_ROUNDS:-3}
port=${BENCH_PORT:-18480}
key=bench-key
source "$root/bench/start-ingest.sh"

# Warm the broker up first: its first load after a start costs it several times the CPU while the
# JVM compiles, which would be charged to whichever phase came first.
"$bin/bench_ingest" --raw-only --raw-brokers "$brokers" --connections "$connections" \
  --duration "${BENCH_WARMUP_S:-5}" >/dev/null
start_ingest ingest BATCHRUN_INGEST_THREADS="$threads"
# Ingest refuses runs of an unregistered workflow that carry no destination. Nothing consumes the
# lanes here, so the endpoint is never called.
curl -fs -X PUT "http://127.0.0.1:$port/v1/workflows/bench" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"endpoint":"http://127.0.0.1:9/run"}' >/dev/null
# Ingest gets the same unmeasured warm-up: its first seconds of load cost ingest and the broker up to
# twice the CPU per item (the JVM compiling the paths of ingest's records and fetches, ingest's heap
# and view growing), which made each run's first round its lowest (docs/performance.md).
"$bin/bench_ingest" --url "http://127.0.0.1:$port" --key "$key" --connections "$connections" \
  --duration "${BENCH_WARMUP_S:-5}" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings: brokers=$brokers connections=$connections http_threads=$threads duration=${duration}s"
# CPU seconds ingest spent (user + system) per accepted item: unlike items/s, this barely moves with
# the machine's load, so it is the figure to compare between builds.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The broker shares the machine: its CPU per item shows what each side costs it. Measured when
# exactly one local broker runs (scripts/kafka start); the figure is left out otherwise.
broker=$(pgrep -f 'kafka\.Kafka' || true)
[[ $(wc -w <<<"$broker") == 1 ]] || broker=
broker_ticks() { if [[ -n $broker ]]; then cpu_ticks "$broker"; else echo 0; fi; }
per_item() {  # label ticks items
  awk -v l="$1" -v t="$2" -v hz="$(getconf CLK_TCK)" -v n="${3:-0}" \
    'BEGIN { if (n > 0) printf "%s cpu=%.1fs  cpu_per_item=%.1fus\n", l, t / hz, t / hz / n * 1e6 }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ingest_rates=() raw_rates=() ratios=()
for round in $(seq 1 "$rounds"); do
  echo "-- round $round/$rounds"
  before=$(cpu_ticks $pid) b0=$(broker_ticks)
  out=$("$bin/bench_ingest" --url "http://127.0.0.1:$port" --key "$key" --connections "$connections" --duration "$duration")
  after=$(cpu_ticks $pid) b1=$(broker_ticks)
  echo "$out"
  items=$(sed -n 's/.*accepted_items=\([0-9]*\).*/\1/p' <<<"$out")
  per_item "ingest " $((after - before)) "$items"
  [[ -z $broker ]] || per_item "broker (during ingest)" $((b1 - b0)) "$items"
  ingest_rate=$(sed -n 's/.*items\/s=\([0-9]*\).*/\1/p' <<<"$out")
  b0=$(broker_ticks)
  out=$("$bin/bench_ingest" --raw-only --raw-brokers "$brokers" --connections "$connections" --duration "$duration")
  b1=$(broker_ticks)
  echo "$out"
  [[ -z $broker ]] || per_item "broker (during raw)" $((b1 - b0)) "$(sed -n 's/.*acked=\([0-9]*\).*/\1/p' <<<"$out")"
  raw_rate=$(sed -n 's/.*msgs\/s=\([0-9]*\).*/\1/p' <<<"$out")
  ingest_rates+=("$ingest_rate") raw_rates+=("$raw_rate")
  ratios+=("$(awk -v a="$ingest_rate" -v b="$raw_rate" 'BEGIN { printf "%.3f", a / b }')")
done
echo "== summary of $rounds rounds"
echo "ingest items/s: ${ingest_rates[*]}  (median $(median <<<"${ingest_rates[*]}"))"
echo "raw msgs/s:     ${raw_rates[*]}  (median $(median <<<"${raw_rates[*]}"))"
echo "ratio per round: ${ratios[*]}  (median $(median <<<"${ratios[*]}"))"
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
