#pragma once
// Run records for the RunView unit tests: ids that sort by a number, lane records (version 0) and
// the state records that follow them, as encodeRun writes them (what the follower reads).
#include <algorithm>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "batchrun/common/kafka/record_reader.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest::testing {

// UUID text whose order (bytes and text) is the order of n, like UUIDv7 run ids.
inline std::string runId(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0190aaaa-0000-7000-8000-%012x", n);
  return buf;
}

inline std::string batchId(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0190bbbb-0000-7000-9000-%012x", n);
  return buf;
}

// The lane record ingest writes: queued, version 0, partition -1.
inline Run laneRun(std::string project, int n, std::string batch = {}, int batch_size = 0) {
  Run r;
  r.run_id = runId(n);
  r.project = std::move(project);
  r.batch_id = std::move(batch);
  r.batch_size = r.batch_id.empty() ? 0 : batch_size;
  r.workflow_id = "wf";
  r.input = "{\"n\":" + std::to_string(n) + "}";
  r.lane = "normal";
  r.created_at = 1'700'000'000'000 + n;
  return r;
}

// The next runs.state record of `r`: one version up, in `status`.
inline Run advanced(Run r, RunStatus status, int64_t completed_at = 0) {
  r.version += 1;
  r.status = status;
  r.attempt = std::max(r.attempt, 1);
  if (isTerminal(status)) r.completed_at = completed_at;
  return r;
}

// What the view's RecordReader would find in Kafka: records put at positions; a record not put
// (or erased) is gone; `fail` makes every read fail as a Kafka timeout would. Counts reads.
// Positions marked cached are what readCached() finds without Kafka.
class FakeRecords final : public RecordReader {
 public:
  void put(const RecordRef& at, std::string value) { records_[key(at)] = std::move(value); }
  void erase(const RecordRef& at) { records_.erase(key(at)); }
  void cache(const RecordRef& at) { cached_.insert(key(at)); }
  bool fail = false;
  int reads = 0;
  Result<std::vector<std::optional<std::string>>> read(const std::vector<RecordRef>& refs) override {
    ++reads;
    if (fail) return Error::unavailable("kafka did not answer");
    std::vector<std::optional<std::string>> out;
    for (const auto& r : refs) {
      auto it = records_.find(key(r));
      out.push_back(it == records_.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return out;
  }
  std::optional<std::vector<std::string>> readCached(const std::vector<RecordRef>& refs) override {
    std::vector<std::string> out;
    for (const auto& r : refs) {
      auto it = records_.find(key(r));
      if (!cached_.count(key(r)) || it == records_.end()) return std::nullopt;
      out.push_back(it->second);
    }
    return out;
  }

 private:
  static std::tuple<std::string, int32_t, int64_t> key(const RecordRef& r) { return {r.topic, r.partition, r.offset}; }
  std::map<std::tuple<std::string, int32_t, int64_t>, std::string> records_;
  std::set<std::tuple<std::string, int32_t, int64_t>> cached_;
};

// get() and list() for tests that expect Kafka to answer: a read error fails the test.
inline std::optional<Run> getRun(const RunView& view, std::string_view project, std::string_view id) {
  auto got = view.get(project, id);
  if (!got) {
    ADD_FAILURE() << "read failed: " << got.error().message;
    return std::nullopt;
  }
  return *got;
}
inline RunPage listRuns(const RunView& view, std::string_view project, const RunQuery& q) {
  auto got = view.list(project, q);
  if (!got) {
    ADD_FAILURE() << "read failed: " << got.error().message;
    return {};
  }
  return *got;
}

}  // namespace batchrun::ingest::testing
