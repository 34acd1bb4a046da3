#include "batchrun/ingest/own_records.hpp"

#include <cstring>

#include "batchrun/ingest/run_view.hpp"

namespace batchrun::ingest {

bool OwnRecords::runIdOf(std::string_view record, Uuid& out) {
  constexpr std::string_view kPrefix = R"({"run_id":")";
  if (record.size() < kPrefix.size() + 37 || record.substr(0, kPrefix.size()) != kPrefix) return false;
  return record[kPrefix.size() + 36] == '"' && parseUuid(record.substr(kPrefix.size(), 36), out);
}

OwnRecords::Id OwnRecords::idOf(const Uuid& u) {
  uint64_t hi, lo;
  std::memcpy(&hi, u.data(), 8);
  std::memcpy(&lo, u.data() + 8, 8);
  return {__builtin_bswap64(hi), __builtin_bswap64(lo)};
}

void OwnRecords::rotateLocked(int64_t now_ms) {
  if (generation_started_ms_ < 0) generation_started_ms_ = now_ms;
  if (now_ms - generation_started_ms_ < generation_ms_ && in_generation_ < generation_max_) return;
  ++generation_;
  in_generation_ = 0;
  generation_started_ms_ = now_ms;
  for (auto it = ranges_.begin(); it != ranges_.end();) {
    if (it->second.generation + 1 < generation_) {
      left_ -= it->second.left;
      it = ranges_.erase(it);
    } else {
      ++it;
    }
  }
}

void OwnRecords::addLocked(const Id& first, const Id& last, uint32_t count) {
  // A range overlapping one held (the same ids produced again, e.g. a retried request) replaces it.
  auto it = ranges_.upper_bound(last);
  while (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.last < first) break;
    left_ -= prev->second.left;
    ranges_.erase(prev);
  }
  ranges_[first] = Range{last, count, generation_};
  left_ += count;
  in_generation_ += count;
}

void OwnRecords::expect(const std::vector<Run>& runs, int64_t now_ms) {
  std::vector<std::pair<Id, Id>> found;  // [first, last] of each run of consecutive ids
  for (const Run& r : runs) {
    Uuid u;
    if (!parseUuid(r.run_id, u)) continue;
    const Id id = idOf(u);
    if (!found.empty() && found.back().second.first == id.first && found.back().second.second + 1 == id.second) {
      found.back().second = id;
    } else {
      found.emplace_back(id, id);
    }
  }
  std::lock_guard lock(mu_);
  rotateLocked(now_ms);
  for (const auto& [first, last] : found) addLocked(first, last, static_cast<uint32_t>(last.second - first.second + 1));
}

bool OwnRecords::take(std::string_view record, int64_t now_ms) {
  Uuid u;
  if (!runIdOf(record, u)) return false;
  const Id id = idOf(u);
  std::lock_guard lock(mu_);
  rotateLocked(now_ms);
  auto it = ranges_.upper_bound(id);
  if (it == ranges_.begin()) return false;
  --it;
  if (it->second.last < id) return false;
  --left_;
  if (--it->second.left == 0) ranges_.erase(it);
  return true;
}

size_t OwnRecords::size() const {
  std::lock_guard lock(mu_);
  return left_;
}

}  // namespace batchrun::ingest
