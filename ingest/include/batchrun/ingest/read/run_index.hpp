#pragma once
// The run index record: one record on runs.index per accepted request, naming each of its runs and
// where its lane record sits (lane, partition, offset). Every ingest instance's read view follows
// runs.index and runs.state instead of the lane topics: a request's 1,000 runs are one ≈ 16–60 KB
// record to read back instead of 1,000 lane records of ≈ 1 KB each (following the lanes was ≈ 10 %
// of ingest's CPU at full rate and most of the broker's fetch work, docs/performance.md), and a
// restarted instance rebuilds its view from a small fraction of the bytes.
//
// Value (JSON): {"project","batch_id","created_at","batch_size","workflows":[…],"lanes":[…],
// "runs":[[run_id, workflow index, lane index, partition, offset], …]} — the fields every run of a
// request shares once, the rest per run. When every run was acknowledged and their ids are
// consecutive (a request without idempotency keys), "runs" is empty and the record carries
// "first_run_id" and "run_positions":[[workflow index, lane index, partition, offset], …], entry
// i's run id being first_run_id with i added to its low 64 bits. Header `instance`: the writing
// instance's view skips it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/records/run.hpp"

namespace batchrun::ingest {

inline constexpr const char* kInstanceHeader = "instance";

struct RunIndexEntry {
  std::string_view run_id;
  uint32_t workflow = 0;  // into RunIndex::workflows
  uint32_t lane = 0;      // into RunIndex::lanes
  int32_t partition = -1;
  int64_t offset = -1;
};

struct RunIndex {
  RunIndex() = default;
  // Not copyable: the entries' ids may point into `ids`.
  RunIndex(const RunIndex&) = delete;
  RunIndex& operator=(const RunIndex&) = delete;

  std::string_view project, batch_id;
  int64_t created_at = 0, batch_size = 0;
  std::vector<std::string_view> workflows, lanes;
  std::vector<RunIndexEntry> runs;  // a partition < 0: not acknowledged, left out of the record and the view
  // The ids are runs[0]'s, then that id plus 1, 2, … as uuidv7Next counts (a request without
  // idempotency keys, run_ids.cpp; the range form of the record): the view holds such a request as
  // one block. Says nothing of acknowledgement.
  bool consecutive_ids = false;
  std::string ids;  // decodeRunIndex of a record with first_run_id: the ids it implies, back to back
};

// The runs of one request being written, held in the index's compact form from the moment its
// records are produced: ≈ 60 bytes a run instead of the 1,000 `Run`s (≈ 600 bytes each, scattered
// over the heap), so the request's Runs are freed once produced, and the delivery thread's work when
// the request is acknowledged — indexing it in the view, writing its index record — walks one small
// array (reading the Runs there missed the cache on every one; docs/performance.md). Each delivery
// report fills its run's position. The views point into this object: it is neither copied nor moved.
class AcceptedRequest {
 public:
  // Every run of a request shares its project, batch, created_at and batch_size.
  explicit AcceptedRequest(const std::vector<Run>& runs);
  // Already acknowledged: runs[i]'s lane record at offsets[i] of partitions[i] (a partition < 0: not).
  AcceptedRequest(const std::vector<Run>& runs, const std::vector<int32_t>& partitions,
                  const std::vector<int64_t>& offsets);
  AcceptedRequest(const AcceptedRequest&) = delete;
  AcceptedRequest& operator=(const AcceptedRequest&) = delete;

  // Run i's lane record was acknowledged there. One writer per run; read once all have reported.
  void acknowledged(size_t i, int32_t partition, int64_t offset) {
    index_.runs[i].partition = partition;
    index_.runs[i].offset = offset;
  }
  const RunIndex& index() const { return index_; }

 private:
  std::string project_, batch_id_, ids_;  // ids_: the run ids, back to back
  std::vector<std::string> workflows_, lanes_;
  RunIndex index_;
};

// Every run acknowledged and the ids consecutive: the record takes the range form, and the read
// view holds the request as one block.
bool isRange(const RunIndex& index);

// The index record of a request's acknowledged runs; nullopt when none was acknowledged.
std::optional<OutMessage> runIndexMessage(const Topics& topics, std::string_view instance, const RunIndex& index);
// The same from Runs: runs[i]'s lane record was acknowledged at offsets[i] of partitions[i] (a
// partition < 0: it was not).
std::optional<OutMessage> runIndexMessage(const Topics& topics, std::string_view instance, const std::vector<Run>& runs,
                                          const std::vector<int32_t>& partitions, const std::vector<int64_t>& offsets);

// Parses `buffer` in place; the views point into it. False when it is not a well-formed index
// record (every entry's workflow and lane index in range, positions not negative).
bool decodeRunIndex(std::string& buffer, RunIndex& out);

}  // namespace batchrun::ingest
