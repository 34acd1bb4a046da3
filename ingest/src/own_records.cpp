#include "batchrun/ingest/own_records.hpp"

#include "batchrun/ingest/run_view.hpp"

namespace batchrun::ingest {

bool OwnRecords::runIdOf(std::string_view record, Uuid& out) {
  constexpr std::string_view kPrefix = R"({"run_id":")";
  if (record.size() < kPrefix.size() + 37 || record.substr(0, kPrefix.size()) != kPrefix) return false;
  return record[kPrefix.size() + 36] == '"' && parseUuid(record.substr(kPrefix.size(), 36), out);
}

void OwnRecords::rotateLocked(int64_t now_ms) {
  if (generation_started_ms_ < 0) generation_started_ms_ = now_ms;
  if (now_ms - generation_started_ms_ < generation_ms_ && current_.size() < generation_max_) return;
  previous_.swap(current_);
  current_.clear();
  generation_started_ms_ = now_ms;
}

void OwnRecords::expect(const std::vector<Run>& runs, int64_t now_ms) {
  std::vector<Uuid> ids;
  ids.reserve(runs.size());
  for (const Run& r : runs) {
    Uuid id;
    if (parseUuid(r.run_id, id)) ids.push_back(id);
  }
  std::lock_guard lock(mu_);
  rotateLocked(now_ms);
  current_.insert(ids.begin(), ids.end());
}

bool OwnRecords::take(std::string_view record, int64_t now_ms) {
  Uuid id;
  if (!runIdOf(record, id)) return false;
  std::lock_guard lock(mu_);
  rotateLocked(now_ms);
  return current_.erase(id) > 0 || previous_.erase(id) > 0;
}

size_t OwnRecords::size() const {
  std::lock_guard lock(mu_);
  return current_.size() + previous_.size();
}

}  // namespace batchrun::ingest
