#pragma once
// Records by their position (topic, partition, offset), least recently used first out, bounded in
// bytes. A record at a position never changes, so entries are never stale: a run read again is
// answered without a fetch until its state moves to a new record. Thread-safe.
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "batchrun/common/kafka/record_reader.hpp"

namespace batchrun {

class RecordCache {
 public:
  explicit RecordCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  std::optional<std::string> get(const RecordRef& at);
  void put(const RecordRef& at, const std::string& value);
  size_t bytes() const;

 private:
  static std::string keyOf(const RecordRef& at);
  using Entry = std::pair<std::string, std::string>;  // key, value; most recently used first

  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace batchrun
