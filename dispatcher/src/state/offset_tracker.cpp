#include "batchrun/dispatcher/state/offset_tracker.hpp"

#include <algorithm>

namespace batchrun::dispatcher {

void OffsetTracker::add(int64_t offset) {
  // Below what was already committed: a re-delivery of finished work, nothing to track.
  if (offset < committed_) return;
  pending_.insert(offset);
  next_ = std::max(next_, offset + 1);
}

void OffsetTracker::done(int64_t offset) { pending_.erase(offset); }

int64_t OffsetTracker::committable() const { return pending_.empty() ? next_ : *pending_.begin(); }

std::optional<int64_t> OffsetTracker::advance() {
  int64_t c = committable();
  if (c <= committed_) return std::nullopt;
  committed_ = c;
  return c;
}

}  // namespace batchrun::dispatcher
