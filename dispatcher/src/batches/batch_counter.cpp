#include "batchrun/dispatcher/batches/batch_counter.hpp"

namespace batchrun::dispatcher {

void BatchCounter::apply(const BatchProgress& p) {
  if (retired_.count(p.batch_id) || retired_old_.count(p.batch_id)) return;
  if (p.done) {
    batches_.erase(p.batch_id);
    complete_.erase(p.batch_id);
    retired_.insert(p.batch_id);
    return;
  }
  Batch& b = batches_[p.batch_id];
  b.touched = generation_;
  if (b.size == 0) {
    b.project = p.project;
    b.size = p.batch_size;
    b.created_at = p.created_at;
  }
  // A run re-recorded after a crash counts once, with its first terminal status.
  if (!b.runs.insert(p.run_id).second) return;
  ++b.counts[p.status];
  if (!b.announced && static_cast<int>(b.runs.size()) >= b.size) complete_.insert(p.batch_id);
}

void BatchCounter::rotate(int64_t now_ms) {
  if (rotated_at_ < 0) rotated_at_ = now_ms;
  if (now_ms - rotated_at_ < forget_ms_ / 2) return;
  rotated_at_ = now_ms;
  ++generation_;
  retired_old_ = std::move(retired_);
  retired_.clear();
  // Untouched for two whole rotation periods: no record for at least forget_ms (at most 1.5 x).
  std::erase_if(batches_, [&](const auto& kv) {
    if (kv.second.touched + 3 > generation_) return false;
    complete_.erase(kv.first);
    return true;
  });
}

std::vector<BatchSummary> BatchCounter::takeCompleted(int64_t now_ms) {
  rotate(now_ms);
  std::vector<BatchSummary> out;
  for (const auto& id : complete_) {
    Batch& b = batches_[id];
    b.announced = true;
    BatchSummary s;
    s.project = b.project;
    s.batch_id = id;
    s.total = b.size;
    s.counts = b.counts;
    s.created_at = b.created_at;
    s.completed_at = now_ms;
    out.push_back(std::move(s));
  }
  complete_.clear();
  return out;
}

void BatchCounter::retryLater(const std::string& batch_id) {
  auto it = batches_.find(batch_id);
  if (it == batches_.end()) return;
  it->second.announced = false;
  complete_.insert(batch_id);
}

void BatchCounter::clear() {
  batches_.clear();
  complete_.clear();
  retired_.clear();
  retired_old_.clear();
}

}  // namespace batchrun::dispatcher
