#include "batchrun/dispatcher/state/finished_runs.hpp"

namespace batchrun::dispatcher {

void FinishedRuns::tick(int64_t now_ms) {
  if (rotated_at_ < 0) rotated_at_ = now_ms;
  if (now_ms - rotated_at_ < window_ms_ / 2) return;
  rotated_at_ = now_ms;
  for (auto& [p, part] : partitions_) {
    part.previous = std::move(part.current);
    part.current = Generation();
  }
}

void FinishedRuns::add(int32_t partition, const std::string& run_id, Finished f) {
  auto& part = partitions_[partition];
  part.current[run_id] = f;
  part.previous.erase(run_id);
}

const FinishedRuns::Finished* FinishedRuns::find(int32_t partition, const std::string& run_id) const {
  auto p = partitions_.find(partition);
  if (p == partitions_.end()) return nullptr;
  if (auto it = p->second.current.find(run_id); it != p->second.current.end()) return &it->second;
  if (auto it = p->second.previous.find(run_id); it != p->second.previous.end()) return &it->second;
  return nullptr;
}

void FinishedRuns::dropPartition(int32_t partition) { partitions_.erase(partition); }

size_t FinishedRuns::size() const {
  size_t n = 0;
  for (const auto& [p, part] : partitions_) n += part.current.size() + part.previous.size();
  return n;
}

}  // namespace batchrun::dispatcher
