#pragma once
// "Has every runs.events record that existed a moment ago been settled by the events consumer
// group — and how far did webhooks.retry reach after that?" The RetryConsumer asks this before it
// releases a held batch.completed delivery (README "batch.completed comes last").
//
// take() hands out a ticket. On its next round the probe's thread queries the end offsets of
// runs.events (after the take(): they cover every event produced before it), then fetches the
// events group's committed offsets until they reach those ends: every event below has settled —
// delivered, dead-lettered, dropped, or its retry record acknowledged by webhooks.retry. Then it
// queries webhooks.retry's end offsets, which therefore lie past every such retry record, and the
// ticket has passed. Tickets pass in order. A round (at most one per 100 ms) costs one end-offset
// query and one committed-offset fetch however many tickets wait; no round runs while none waits.
//
// The committed offsets are read with a consumer handle that carries the events group's id but never
// subscribes, so it never joins the group. Thread-safe.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun::webhook {

class SettledProbe {
 public:
  static Result<std::unique_ptr<SettledProbe>> create(const KafkaSettings& kafka, const Topics& topics,
                                                      const std::string& events_group);
  ~SettledProbe();
  SettledProbe(const SettledProbe&) = delete;
  SettledProbe& operator=(const SettledProbe&) = delete;

  uint64_t take();
  // Whether `ticket` has passed; then `retry_end` is the end offset of webhooks.retry partition
  // `retry_partition` read after it passed.
  bool passed(uint64_t ticket, int32_t retry_partition, int64_t& retry_end) const;

 private:
  SettledProbe(rd_kafka_t* rk, std::string events_topic, std::vector<int32_t> event_partitions,
               std::string retry_topic, std::vector<int32_t> retry_partitions);
  using Offsets = std::map<int32_t, int64_t>;
  struct Barrier {
    uint64_t ticket;
    Offsets ends;
  };
  void loop();
  void round();
  // RD_KAFKA_OFFSET_END / _BEGINNING of each partition, one ListOffsets per leader.
  std::optional<Offsets> listOffsets(const std::string& topic, const std::vector<int32_t>& partitions, int64_t which);
  std::optional<Offsets> committed();
  bool reached(const Barrier& b, const Offsets& committed, const Offsets& beginnings) const;

  rd_kafka_t* rk_;
  const std::string events_topic_;
  const std::vector<int32_t> event_partitions_;
  const std::string retry_topic_;
  const std::vector<int32_t> retry_partitions_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t issued_ = 0;  // guarded by mu_
  uint64_t passed_ = 0;  // guarded by mu_
  Offsets retry_ends_;   // guarded by mu_: read after passed_ passed
  bool stop_ = false;    // guarded by mu_
  bool failing_ = false;           // the probe's thread only: the last round could not ask the broker (logged once)
  uint64_t queried_ = 0;           // the probe's thread only: tickets up to this have a barrier
  std::deque<Barrier> barriers_;   // the probe's thread only
  std::thread thread_;  // last
};

}  // namespace batchrun::webhook
