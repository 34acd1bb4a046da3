#include "batchrun/webhook/offset_tracker.hpp"

namespace batchrun::webhook {

void OffsetTracker::reset(const TopicPartition& tp) {
  drop(tp);
  parts_[tp];
}

void OffsetTracker::drop(const TopicPartition& tp) {
  auto it = parts_.find(tp);
  if (it == parts_.end()) return;
  for (const auto& [off, n] : it->second.outstanding) pending_ -= n > 0 ? 1 : 0;
  parts_.erase(it);
}

void OffsetTracker::add(const TopicPartition& tp, int64_t offset, int outstanding) {
  auto& p = parts_[tp];
  p.outstanding[offset] = outstanding;
  if (outstanding > 0) ++pending_;
}

std::optional<int64_t> OffsetTracker::settle(const TopicPartition& tp, int64_t offset) {
  auto it = parts_.find(tp);
  if (it == parts_.end()) return std::nullopt;
  auto rec = it->second.outstanding.find(offset);
  if (rec == it->second.outstanding.end() || rec->second <= 0) return std::nullopt;
  if (--rec->second == 0) --pending_;
  return advanceLocked(it->second);
}

std::optional<int64_t> OffsetTracker::advance(const TopicPartition& tp) {
  auto it = parts_.find(tp);
  if (it == parts_.end()) return std::nullopt;
  return advanceLocked(it->second);
}

std::optional<int64_t> OffsetTracker::advanceLocked(Partition& p) {
  int64_t next = -1;
  while (!p.outstanding.empty() && p.outstanding.begin()->second <= 0) {
    next = p.outstanding.begin()->first + 1;
    p.outstanding.erase(p.outstanding.begin());
  }
  if (next < 0 || next <= p.committed_next) return std::nullopt;
  p.committed_next = next;
  return next;
}

}  // namespace batchrun::webhook
