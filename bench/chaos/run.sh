#!/usr/bin/env bash
# The chaos scenario of issue 26 as a measurement (docs/performance.md, "Chaos"): runs
# chaos_reliability_tests (tests/integration/chaos_test.cpp) [rounds] times — its own 3-broker
# cluster on ports 26100-26105, ingest, dispatcher, webhook-sender and demo worker as processes,
# 13 batches of 1,000 runs while one broker, the dispatcher, the webhook-sender and ingest are
# kill -9'd and restarted in turn — and prints, per round, the recovery times (kill -> the service
# answers / resumes) and the duplicate counts the test measured, with the machine's CPU and load.
# Needs the test and the service binaries built:
#   scripts/build chaos_reliability_tests && bench/chaos/run.sh [rounds=1]
# BATCHRUN_CHAOS_KEEP_LOGS=1 keeps every service's log (the killed instances' too) in
# /tmp/batchrun-chaos-test/logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BATCHRUN_BIN_DIR:-$root/build/bin}
rounds=${1:-1}
[ -x "$bin/chaos_reliability_tests" ] || { echo "no $bin/chaos_reliability_tests: scripts/build chaos_reliability_tests" >&2; exit 1; }
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for ((r = 1; r <= rounds; r++)); do
  out=$(mktemp)
  if BATCHRUN_BIN_DIR="$bin" BATCHRUN_SOURCE_DIR="$root" "$bin/chaos_reliability_tests" >"$out" 2>&1; then
    status=passed
  else
    status=FAILED; rc=1
  fi
  echo "round $r ($status; load average after: $(cut -d' ' -f1-3 /proc/loadavg)):"
  grep '^\[chaos\]' "$out" | sed 's/^\[chaos\] /  /'
  if [ "$status" = FAILED ]; then
    grep -E 'Failure|Expected|Actual|Which is|^  ' "$out" | grep -v '^%' | head -n 40 | sed 's/^/  | /'
  fi
  rm -f "$out"
done
exit $rc
