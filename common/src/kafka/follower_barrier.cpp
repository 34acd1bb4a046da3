#include "batchrun/common/kafka/follower_barrier.hpp"

#include <algorithm>

namespace batchrun {

void FollowerBarriers::advance(std::string_view topic, int32_t partition, int64_t next_offset) {
  if (partition < 0) return;
  auto t = positions_.begin();
  while (t != positions_.end() && t->topic != topic) ++t;
  if (t == positions_.end()) t = positions_.insert(positions_.end(), {std::string(topic), {}});
  auto p = static_cast<size_t>(partition);
  if (p >= t->next.size()) t->next.resize(p + 1, 0);
  if (next_offset <= t->next[p]) return;
  t->next[p] = next_offset;
  if (!barriers_.empty()) fireReached();
}

int64_t FollowerBarriers::position(const Partition& tp) const {
  for (const auto& t : positions_) {
    if (t.topic != tp.first) continue;
    auto p = static_cast<size_t>(tp.second);
    return p < t.next.size() ? t.next[p] : 0;
  }
  return 0;
}

void FollowerBarriers::add(std::map<Partition, int64_t> ends, std::vector<Callback> done) {
  barriers_.push_back({std::move(ends), std::move(done)});
  fireReached();
}

bool FollowerBarriers::reached(const Barrier& b) const {
  for (const auto& [tp, end] : b.ends) {
    if (end > position(tp)) return false;  // an empty partition (end 0) holds nothing to wait for
  }
  return true;
}

void FollowerBarriers::fireReached() {
  // Collect first: a callback may add another barrier.
  std::vector<Callback> ready;
  auto open =
      std::stable_partition(barriers_.begin(), barriers_.end(), [this](const Barrier& b) { return !reached(b); });
  for (auto it = open; it != barriers_.end(); ++it) {
    for (auto& cb : it->done) ready.push_back(std::move(cb));
  }
  barriers_.erase(open, barriers_.end());
  for (auto& cb : ready) cb();
}

}  // namespace batchrun
