#include "batchrun/common/kafka/record_cache.hpp"

namespace batchrun {

std::string RecordCache::keyOf(const RecordRef& at) {
  return at.topic + '\n' + std::to_string(at.partition) + '\n' + std::to_string(at.offset);
}

std::optional<std::string> RecordCache::get(const RecordRef& at) {
  const std::string key = keyOf(at);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

void RecordCache::put(const RecordRef& at, const std::string& value) {
  const size_t size = value.size() + 64;  // the key and the list node, roughly
  if (size > max_bytes_) return;
  std::string key = keyOf(at);
  std::lock_guard lock(mu_);
  if (index_.count(key)) return;  // the same record: nothing to add
  order_.emplace_front(std::move(key), value);
  index_.emplace(order_.front().first, order_.begin());
  bytes_ += size;
  while (bytes_ > max_bytes_) {
    auto& last = order_.back();
    bytes_ -= last.second.size() + 64;
    index_.erase(last.first);
    order_.pop_back();
  }
}

size_t RecordCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace batchrun
