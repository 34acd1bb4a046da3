#!/usr/bin/env bash
# Run-read latency of ingest (docs/performance.md, "Read view"): starts batchrun-ingest on a fresh
# topic prefix against BATCHRUN_KAFKA_BROKERS, submits one batch, then reads its runs one by one on
# one keep-alive connection — first reads fetch each record from Kafka, second reads hit the
# reader's cache — and reads a second batch as one page, unread then cached.
#   BATCHRUN_KAFKA_BROKERS=127.0.0.1:9092 bench/reads/run.sh [runs=1000] [pad_bytes=1000]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BATCHRUN_BIN_DIR:-$root/build/bin}
brokers=${BATCHRUN_KAFKA_BROKERS:-127.0.0.1:9092}
port=${BENCH_PORT:-18490}
key=bench-key
source "$root/bench/start-ingest.sh"
start_ingest reads
python3 - "$port" "$key" "${1:-1000}" "${2:-1000}" <<'EOF'
import http.client, json, sys, time
port, key, n, pad = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json", "Connection": "keep-alive"}
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None):
    c.request(method, path, body, headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:200]}")
    return data
call("PUT", "/v1/workflows/bench", json.dumps({"endpoint": "http://127.0.0.1:9/run"}))
def submit():
    return json.loads(call("POST", "/v1/batches", json.dumps(
        {"workflow_id": "bench", "runs": [{"input": {"i": i, "pad": "x" * pad}} for i in range(n)]})))
batch, paged = submit(), submit()  # one read run by run, one read as pages
ids = [r["run_id"] for r in batch["runs"]]
call("GET", "/v1/runs/" + ids[0])  # connects the reader to the broker: not counted
def series(label, ids):
    lat = []
    start = time.time()
    for i in ids:
        t = time.time()
        call("GET", "/v1/runs/" + i)
        lat.append(time.time() - t)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p / 100))] * 1e3
    print(f"{label:<24} reads={len(lat)} reads/s={len(lat) / (time.time() - start):.0f} "
          f"p50={q(50):.2f}ms p90={q(90):.2f}ms p99={q(99):.2f}ms")
series("first reads (fetch)", ids[1:])
series("second reads (cache)", ids[1:])
for label, b in (("unread", paged), ("cached", paged)):
    t = time.time()
    call("GET", f"/v1/runs?batch_id={b['batch_id']}&limit={min(n, 1000)}")
    print(f"{'page of %d (%s)' % (min(n, 1000), label):<24} {(time.time() - t) * 1e3:.1f}ms")
EOF
