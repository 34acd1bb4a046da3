#pragma once
// The batch.completed deliveries one webhooks.retry partition holds back, and what they wait for.
// A first attempt of batch.completed to an endpoint is held until (README "batch.completed comes
// last"):
//   1. its SettledProbe ticket has passed — every runs.events record produced before it was read
//      has settled in the events group, so each first attempt of the batch's run events is over or
//      has its retry record in webhooks.retry — and
//   2. this partition has been read up to the webhooks.retry end offset seen after that, so every
//      such retry record has been read here (the endpoint's records all land in this partition), and
//   3. no run-event delivery chain of the same (endpoint, batch) is pending in the partition: each
//      was delivered or dead-lettered (or dropped with its endpoint).
// Kafka-free so the rules can be tested alone. Not thread-safe: the RetryConsumer's thread owns it.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace batchrun::webhook {

class BatchHolds {
 public:
  // Whether `ticket` has passed; then `retry_end` is the partition's end offset read after it did.
  using Passed = std::function<bool(uint64_t ticket, int64_t& retry_end)>;

  // A run-event delivery chain of (endpoint, batch) became pending here, or ended.
  void opened(const std::string& endpoint_id, const std::string& batch_id);
  void closed(const std::string& endpoint_id, const std::string& batch_id);
  // Holds the batch.completed delivery `key` (the RetryConsumer's entry key).
  void hold(const std::string& key, const std::string& endpoint_id, const std::string& batch_id, uint64_t ticket);
  // It was superseded or finished while held.
  void forget(const std::string& key);
  bool held(const std::string& key) const { return holds_.count(key) != 0; }
  size_t size() const { return holds_.size(); }
  // Run-event chains pending for (endpoint, batch).
  int open(const std::string& endpoint_id, const std::string& batch_id) const;
  // Ends the holds that wait for nothing any more and returns their keys. `position`: the next
  // offset this partition will be read from.
  std::vector<std::string> release(const Passed& passed, int64_t position);

 private:
  struct Hold {
    std::string endpoint_id;
    std::string batch_id;
    uint64_t ticket = 0;
    int64_t retry_end = -1;  // set once the ticket passed
  };
  static std::string pairKey(const std::string& endpoint_id, const std::string& batch_id) {
    return endpoint_id + " " + batch_id;
  }
  std::map<std::string, Hold> holds_;  // by entry key
  std::map<std::string, int> open_;    // "endpoint batch" → pending run-event chains
};

}  // namespace batchrun::webhook
