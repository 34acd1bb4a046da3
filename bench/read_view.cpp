// bench/read_view: the memory and time cost of ingest's RunView, with no broker.
//   read_view [runs=1000000] [batch_size=1000]
// Indexes N queued runs as ingest's write path does (noteAccepted, a request of batch_size runs at
// a time, ids consecutive as a request without idempotency keys takes them: the view holds each
// request as one block), then one runs.state update per run (running, then completed with an
// output), each at a position in its topic as the follower reads them, and reports heap bytes per
// run (glibc mallinfo2, so allocator overhead is counted) and the index, apply and query times.
// The same lane records applied one by one (parsed; ids not a range) give the per-run entry's cost.
// With no broker there is no RecordReader: pages are served from the index fields (a real read
// adds one Kafka fetch per page).
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/read/run_view.hpp"

using namespace batchrun;
using Steady = std::chrono::steady_clock;

namespace {

size_t heapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

double secondsSince(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const int batch_size = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::vector<Run> runs;
  runs.reserve(static_cast<size_t>(n));
  std::string batch;
  Uuid id_start{};
  int64_t now = 1'790'000'000'000;
  for (int i = 0; i < n; ++i) {
    if (i % batch_size == 0) {
      batch = uuidv7(now + i / 100);
      id_start = uuidv7Start(now + i / 100);
    }
    Run r;
    r.run_id = uuidv7Next(id_start, static_cast<uint64_t>(i % batch_size));  // as run_ids.cpp assigns them
    r.batch_id = batch;
    r.project = (i / batch_size) % 10 == 0 ? "small-project" : "big-project";
    r.workflow_id = i % 2 ? "resize-image" : "send-email";
    r.input = "{\"user_id\":" + std::to_string(100000 + i) + ",\"plan\":\"pro\"}";
    r.metadata = "{\"source\":\"bench\"}";
    r.priority = 90;
    r.lane = "bulk";
    r.created_at = now + i / 100;
    r.batch_size = batch_size;
    r.batch_index = i % batch_size;
    runs.push_back(std::move(r));
  }
  std::vector<std::string> lane(static_cast<size_t>(n));
  size_t record_bytes = 0;
  for (int i = 0; i < n; ++i) record_bytes += (lane[i] = encodeRun(runs[i])).size();

  // Apart from the others: the per-run entries of records applied one by one (parsed).
  double apply_lane = 0;
  size_t entry_bytes = 0;
  {
    ingest::RunView applied;
    const size_t at = heapBytes();
    auto t = Steady::now();
    for (int i = 0; i < n; ++i) applied.apply(lane[i], i % 6, "runs.requested.bulk", i);
    apply_lane = secondsSince(t);
    entry_bytes = heapBytes() - at;
  }

  // What ingest does for its own requests: index them from the Run, a request at a time, never
  // parsing the bytes.
  ingest::RunView view;
  size_t before = heapBytes();
  std::vector<int32_t> partitions(static_cast<size_t>(batch_size));
  std::vector<int64_t> offsets(static_cast<size_t>(batch_size));
  auto t = Steady::now();
  for (int first = 0; first < n; first += batch_size) {
    const int end = std::min(n, first + batch_size);
    std::vector<Run> request(runs.begin() + first, runs.begin() + end);
    partitions.resize(request.size());
    offsets.resize(request.size());
    for (int i = first; i < end; ++i) partitions[i - first] = i % 6, offsets[i - first] = i;
    view.noteAccepted(request, partitions, offsets);
  }
  double index_lane = secondsSince(t);
  size_t after_lane = heapBytes();

  // The state records replace the lane records: running, then completed with a small output.
  // (`lane` stays allocated so the heap difference is the view's alone.)
  t = Steady::now();
  int64_t state_offset = 0;
  for (auto& r : runs) {
    r.status = RunStatus::kRunning;
    r.attempt = 1;
    r.started_at = r.created_at + 5;
    r.version = 1;
    r.partition = 0;
    view.apply(encodeRun(r), 0, "runs.state", state_offset++);
    r.status = RunStatus::kCompleted;
    r.completed_at = r.started_at + 40;
    r.output = "{\"ok\":true,\"bytes\":12345}";
    r.version = 2;
    view.apply(encodeRun(r), 0, "runs.state", state_offset++);
  }
  double apply_state = secondsSince(t);
  size_t after_state = heapBytes();

  ingest::RunQuery q;
  q.limit = 100;
  t = Steady::now();
  int pages = 0;
  for (; pages < 200; ++pages) {
    auto page = view.list("big-project", q);
    if (!page || page->last_run_id.empty()) break;
    q.after_run_id = page->last_run_id;
  }
  double list = secondsSince(t) / pages;
  ingest::RunQuery by_batch;
  by_batch.batch_id = runs[static_cast<size_t>(n / 2 + 1)].batch_id;
  by_batch.limit = 1000;
  t = Steady::now();
  auto whole_batch = view.list(runs[static_cast<size_t>(n / 2 + 1)].project, by_batch).value();
  double batch_page = secondsSince(t);
  t = Steady::now();
  for (int i = 0; i < 100000; ++i) (void)view.batch(runs[static_cast<size_t>(i % n)].project, runs[static_cast<size_t>(i % n)].batch_id);
  double batch_totals = secondsSince(t) / 100000;

  std::printf("runs                      %d (batches of %d)\n", n, batch_size);
  std::printf("lane record bytes (avg)   %.0f\n", static_cast<double>(record_bytes) / n);
  std::printf("heap per run, queued      %.0f bytes (noteAccepted: a block per request)\n",
              static_cast<double>(after_lane - before) / n);
  std::printf("heap per run, applied     %.0f bytes (queued, applied one by one: a map entry each)\n",
              static_cast<double>(entry_bytes) / n);
  std::printf("heap per run, completed   %.0f bytes\n", static_cast<double>(after_state - before) / n);
  std::printf("apply lane record         %.2f us (parsed)\n", apply_lane / n * 1e6);
  std::printf("index lane record         %.2f us (noteAccepted, a request at a time, not parsed)\n", index_lane / n * 1e6);
  std::printf("apply state record        %.2f us\n", apply_state / (2.0 * n) * 1e6);
  std::printf("list page of 100          %.3f ms\n", list * 1e3);
  std::printf("batch page of %zu        %.3f ms\n", whole_batch.runs.size(), batch_page * 1e3);
  std::printf("batch totals              %.2f us\n", batch_totals * 1e6);
  return view.size() == static_cast<size_t>(n) ? 0 : 1;
}
