// RunView's retention: forgetting runs (a batch at a time) once they are older than the run
// retention, in small steps so no step holds the view's lock for long.
#include <algorithm>
#include <mutex>
#include <utility>

#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

namespace {
// Every kForgetEvery runs indexed, one step looks at kForgetStep runs: the scan runs at twice the
// rate runs arrive, so a pass over the whole view ends within half a retention window.
constexpr size_t kForgetEvery = 1024;
constexpr size_t kForgetStep = 2048;
}  // namespace

void RunView::setRetention(int64_t retention_ms, const Clock& clock) {
  std::unique_lock lock(mu_);
  retention_ms_ = retention_ms;
  clock_ = &clock;
  // From the first record on: a restarted view reading Kafka from the beginning skips expired runs.
  if (retention_ms > 0) cutoff_ms_ = std::max(cutoff_ms_, clock.nowMs() - retention_ms);
}

size_t RunView::forgetExpired(int64_t cutoff_ms, size_t max_entries) {
  std::unique_lock lock(mu_);
  return forgetExpiredLocked(cutoff_ms, max_entries);
}

void RunView::maybeForgetLocked(size_t indexed) {
  if (clock_ == nullptr || retention_ms_ <= 0) return;
  indexed_since_forget_ += indexed;
  if (indexed_since_forget_ < kForgetEvery) return;
  indexed_since_forget_ = 0;
  forgetExpiredLocked(clock_->nowMs() - retention_ms_, kForgetStep);
}

size_t RunView::forgetExpiredLocked(int64_t cutoff_ms, size_t max_entries) {
  cutoff_ms_ = std::max(cutoff_ms_, cutoff_ms);
  if (max_entries == 0) return 0;  // (the resume point below needs at least one run looked at)
  // Collect first, then forget: forgetting a batch erases runs anywhere in the map.
  std::vector<uint32_t> batches;
  std::vector<Key> loose;  // expired runs without a batch
  auto it = forget_from_ ? runs_.upper_bound(*forget_from_) : runs_.begin();
  for (size_t seen = 0; it != runs_.end() && seen < max_entries; ++it, ++seen) {
    const Entry& e = it->second;
    if (e.created_at <= 0 || e.created_at >= cutoff_ms) continue;
    if (e.batch == kNoBatch) {
      loose.push_back(it->first);
    } else if (batches.empty() || batches.back() != e.batch) {
      batches.push_back(e.batch);
    }
  }
  // Resume after the last run looked at; at the end, start over from the beginning.
  if (it == runs_.end()) {
    forget_from_.reset();
  } else {
    forget_from_ = std::prev(it)->first;
  }
  // Blocks (a request's queued runs each) in proportion: two per step of kForgetStep runs, a step
  // every kForgetEvery runs indexed and a block per request, so blocks too are scanned faster than
  // they arrive.
  auto block = forget_block_from_ ? blocks_.upper_bound(*forget_block_from_) : blocks_.begin();
  for (size_t seen = 0; block != blocks_.end() && seen < max_entries / kForgetStep + 1; ++block, ++seen) {
    const Block& b = block->second;
    if (b.created_at > 0 && b.created_at < cutoff_ms) batches.push_back(b.batch);
  }
  if (block == blocks_.end()) {
    forget_block_from_.reset();
  } else {
    forget_block_from_ = std::prev(block)->first;
  }
  std::sort(batches.begin(), batches.end());
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
  size_t forgotten = 0;
  for (uint32_t b : batches) forgotten += forgetBatchLocked(b);
  for (const Key& key : loose) {
    if (auto run = runs_.find(key); run != runs_.end()) forgotten += forgetRunLocked(run);
  }
  return forgotten;
}

size_t RunView::forgetBatchLocked(uint32_t b) {
  Batch& batch = batches_[b];
  if (batch.id.empty()) return 0;  // already forgotten (or being forgotten: see unlinkLocked)
  batch_ids_.erase(std::to_string(batch.project) + "/" + batch.id);
  if (last_batch_ == b) last_batch_ = kNoBatch;
  std::string().swap(batch.id);
  const auto runs = std::move(batch.runs);
  size_t forgotten = 0;
  for (Blocks::iterator block : std::exchange(batch.blocks, {})) forgotten += forgetBlockLocked(block);
  for (Map::const_iterator run : runs) {
    if (run->second.batch == b) {
      forgotten += forgetRunLocked(run);
    } else if (auto a = aliases_.find(run->first); a != aliases_.end()) {
      // This batch counted another batch's run (aliasLocked): the run stays with its owner.
      std::erase(a->second, b);
      if (a->second.empty()) aliases_.erase(a);
    }
  }
  batches_[b] = Batch{};
  free_batches_.push_back(b);
  return forgotten;
}

size_t RunView::forgetBlockLocked(Blocks::iterator it) {
  const size_t live = it->second.live;
  block_runs_ -= live;
  blocks_.erase(it);
  return live;
}

size_t RunView::forgetRunLocked(Map::const_iterator it) {
  if (!aliases_.empty()) {
    if (auto a = aliases_.find(it->first); a != aliases_.end()) {
      for (uint32_t b : a->second) unlinkLocked(b, it);
      aliases_.erase(a);
    }
  }
  runs_.erase(it);
  return 1;
}

void RunView::unlinkLocked(uint32_t b, Map::const_iterator it) {
  Batch& batch = batches_[b];
  auto pos = std::lower_bound(batch.runs.begin(), batch.runs.end(), it->first,
                              [](Map::const_iterator r, const Key& k) { return r->first < k; });
  if (pos == batch.runs.end() || *pos != it) return;
  batch.runs.erase(pos);
  --batch.counts[static_cast<int>(it->second.status)];
  // A batch that only counted other batches' runs goes with the last of them.
  if (batch.runs.empty()) forgetBatchLocked(b);
}

}  // namespace batchrun::ingest
