#include "batchrun/demo_worker/stats.hpp"

#include <algorithm>

#include "batchrun/common/json.hpp"

namespace batchrun::demo_worker {

void Stats::begin(const std::string& run_id, const std::string& key) {
  std::lock_guard lock(mu_);
  ++total_;
  max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
  if (!key.empty()) {
    auto& k = per_key_[key];
    ++k.count;
    k.max_in_flight = std::max(k.max_in_flight, ++k.in_flight);
  }
  if (!run_id.empty()) ++by_run_[run_id];
}

void Stats::end(const std::string& key) {
  std::lock_guard lock(mu_);
  --in_flight_;
  if (!key.empty()) {
    if (auto it = per_key_.find(key); it != per_key_.end()) --it->second.in_flight;
  }
}

void Stats::reset() {
  std::lock_guard lock(mu_);
  total_ = 0;
  max_in_flight_ = in_flight_;
  by_run_.clear();
  for (auto it = per_key_.begin(); it != per_key_.end();) {
    if (it->second.in_flight <= 0) {
      it = per_key_.erase(it);
    } else {
      it->second.count = 0;
      it->second.max_in_flight = it->second.in_flight;
      ++it;
    }
  }
}

std::string Stats::json() const {
  std::lock_guard lock(mu_);
  std::string out = "{\"total\":" + std::to_string(total_) + ",\"in_flight\":" + std::to_string(in_flight_) +
                    ",\"max_in_flight\":" + std::to_string(max_in_flight_) + ",\"per_key\":{";
  bool first = true;
  for (const auto& [key, k] : per_key_) {
    if (!first) out += ',';
    first = false;
    json::appendKey(out, key);
    out += "{\"in_flight\":" + std::to_string(k.in_flight) + ",\"max_in_flight\":" + std::to_string(k.max_in_flight) +
           ",\"count\":" + std::to_string(k.count) + "}";
  }
  out += "},\"by_run\":{";
  first = true;
  for (const auto& [run, attempts] : by_run_) {
    if (!first) out += ',';
    first = false;
    json::appendKey(out, run);
    out += std::to_string(attempts);
  }
  out += "}}";
  return out;
}

}  // namespace batchrun::demo_worker
