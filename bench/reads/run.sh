#!/usr/bin/env bash
# Run-read latency of ingest (docs/performance.md, "Read view"): starts batchrun-ingest on a fresh
# topic prefix against BATCHRUN_KAFKA_BROKERS, submits one batch, then reads its runs one by one on
# one keep-alive connection — first reads fetch each record from Kafka, second reads hit the
# reader's cache — and reads a second batch as one page, unread then cached. Then what the catch-up
# on a miss costs (issue 25; BATCHRUN_READ_CATCH_UP_MS): a second instance on the same topics, and
# [rounds] times: a 1-run batch POSTed to one instance and its run read at once from the other (the
# two-instance topology's read-after-write), the same on one instance, and a GET of an id that
# never existed (404 only after the view caught up with Kafka).
#   BATCHRUN_KAFKA_BROKERS=127.0.0.1:9092 bench/reads/run.sh [runs=1000] [pad_bytes=1000] [rounds=300]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BATCHRUN_BIN_DIR:-$root/build/bin}
brokers=${BATCHRUN_KAFKA_BROKERS:-127.0.0.1:9092}
port=${BENCH_PORT:-18490}
key=bench-key
source "$root/bench/start-ingest.sh"
prefix="bench-reads-$(date +%s%N)."
start_ingest reads BATCHRUN_TOPIC_PREFIX="$prefix"
pid1=$pid port1=$port
port=$((port1 + 1))
start_ingest reads-2 BATCHRUN_TOPIC_PREFIX="$prefix"
trap 'kill $pid1 $pid 2>/dev/null || true' EXIT
python3 - "$port1" "$key" "${1:-1000}" "${2:-1000}" "$port" "${3:-300}" <<'EOF'
import http.client, json, sys, time, uuid
port, key, n, pad = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
port2, rounds = int(sys.argv[5]), int(sys.argv[6])
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json", "Connection": "keep-alive"}
c = http.client.HTTPConnection("127.0.0.1", port)
c2 = http.client.HTTPConnection("127.0.0.1", port2)  # the second instance
def call(method, path, body=None, conn=None, ok=(200, 201, 202), count=True):
    conn = conn or c
    conn.request(method, path, body, headers)
    r = conn.getresponse()
    data = r.read()
    if r.status not in ok:
        sys.exit(f"{method} {path}: {r.status} {data[:200]}")
    if count:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return data
statuses = {}  # answers by status since the last report
call("PUT", "/v1/workflows/bench", json.dumps({"endpoint": "http://127.0.0.1:9/run"}))
def submit():
    return json.loads(call("POST", "/v1/batches", json.dumps(
        {"workflow_id": "bench", "runs": [{"input": {"i": i, "pad": "x" * pad}} for i in range(n)]})))
batch, paged = submit(), submit()  # one read run by run, one read as pages
ids = [r["run_id"] for r in batch["runs"]]
call("GET", "/v1/runs/" + ids[0])  # connects the reader to the broker: not counted
def series(label, ids):
    statuses.clear()
    lat = []
    start = time.time()
    for i in ids:
        t = time.time()
        call("GET", "/v1/runs/" + i)
        lat.append(time.time() - t)
    report(label, lat, time.time() - start)
def report(label, lat, secs):
    global statuses
    answers, statuses = " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())), {}
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] * 1e3
    print(f"{label:<24} reads={len(lat)} reads/s={len(lat) / secs:.0f} "
          f"p50={q(50):.2f}ms p90={q(90):.2f}ms p99={q(99):.2f}ms max={lat[-1] * 1e3:.2f}ms ({answers})")
series("first reads (fetch)", ids[1:])
series("second reads (cache)", ids[1:])
for label, b in (("unread", paged), ("cached", paged)):
    t = time.time()
    call("GET", f"/v1/runs?batch_id={b['batch_id']}&limit={min(n, 1000)}")
    print(f"{'page of %d (%s)' % (min(n, 1000), label):<24} {(time.time() - t) * 1e3:.1f}ms")
# The catch-up: a read of a run just written, timed alone (the POST before it is not counted).
# A miss whose sync misses the catch-up bound answers 503 (the view is behind): counted, not fatal.
def after_write(label, writer):
    lat, start = [], time.time()
    for i in range(rounds):
        run = json.loads(call("POST", "/v1/batches", json.dumps(
            {"workflow_id": "bench", "runs": [{"input": {"i": i}}]}), conn=writer, count=False))["runs"][0]["run_id"]
        t = time.time()
        call("GET", "/v1/runs/" + run, ok=(200, 503))
        lat.append(time.time() - t)
    report(label, lat, time.time() - start)
call("GET", "/v1/runs/" + ids[0], conn=c2)  # the second instance's reader connects: not counted
statuses.clear()
after_write("written via other inst.", c2)
after_write("written via same inst.", c)
lat, start = [], time.time()
for _ in range(rounds):
    t = time.time()
    call("GET", "/v1/runs/" + str(uuid.uuid4()), ok=(404, 503))
    lat.append(time.time() - t)
report("never existed (404)", lat, time.time() - start)
EOF
