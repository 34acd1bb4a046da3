#pragma once
// What the demo worker has seen, for tests and the curious: runs received, runs in flight overall
// and per concurrency key with their maxima, and attempts per run id. Served at GET /stats, cleared
// by POST /stats/reset. Thread-safe (one mutex; the worker is a test tool, not a hot path).
#include <map>
#include <mutex>
#include <string>

namespace batchrun::demo_worker {

class Stats {
 public:
  // A run arrived (run_id and key may be empty). Every begin() is matched by one end(key).
  void begin(const std::string& run_id, const std::string& key);
  // Its answer (or, for an async run, its posted result) is out.
  void end(const std::string& key);
  // Zeroes the counters; runs still in flight stay counted so their end() balances.
  void reset();
  std::string json() const;

 private:
  struct KeyStats {
    int in_flight = 0;
    int max_in_flight = 0;
    long count = 0;
  };
  mutable std::mutex mu_;
  long total_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  std::map<std::string, KeyStats> per_key_;
  std::map<std::string, long> by_run_;
};

}  // namespace batchrun::demo_worker
