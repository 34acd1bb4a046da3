#pragma once
// Reads webhooks.retry in its own consumer group ("<group>-retry"; records keyed by endpoint id,
// so one member holds all retries of an endpoint) and keeps the pending deliveries of its
// partitions in memory, attempting each when due. The topic is the durable schedule: a delivery's
// offset is committed only once it settled (delivered, rescheduled as a newer record, dead-lettered
// or dropped), and a "done" record marks finished chains. On assignment a partition is replayed
// from its committed offset; nothing is attempted until it has been read to its end, so a
// superseded or finished record read again is recognised (same endpoint and event with a newer
// record or a done mark) instead of being attempted twice. Replay requests found here start a
// ReplayScanner. A first attempt of batch.completed is held (BatchHolds, with a SettledProbe) until
// the endpoint's deliveries of the batch's run events are over. Owns one thread, and the probe's.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/webhook/batch_holds.hpp"
#include "batchrun/webhook/config.hpp"
#include "batchrun/webhook/deliverer.hpp"
#include "batchrun/webhook/offset_tracker.hpp"
#include "batchrun/webhook/replay_scanner.hpp"
#include "batchrun/webhook/settled_probe.hpp"

namespace batchrun::webhook {

class RetryConsumer final : public RebalanceListener {
 public:
  static Result<std::unique_ptr<RetryConsumer>> create(const Config& config, const Topics& topics, EndpointView& view,
                                                       Deliverer& deliverer, Producer& producer,
                                                       SenderMetrics& metrics, Clock& clock, PoisonRecords& poison);
  ~RetryConsumer() override;
  void start();
  void stopReading();
  void finish();
  // Deliveries waiting (this member's partitions).
  size_t backlog() const { return backlog_.load(); }

  void onAssigned(const std::vector<TopicPartition>& parts) override;
  void onRevoked(const std::vector<TopicPartition>& parts) override;

 private:
  RetryConsumer(const Config& config, const Topics& topics, EndpointView& view, Deliverer& deliverer,
                Producer& producer, SenderMetrics& metrics, Clock& clock, PoisonRecords& poison);
  struct Entry {
    WebhookDelivery d;
    int64_t offset = 0;
    bool in_flight = false;
    bool held = false;  // a batch.completed waiting in `holds`: no timer until released
  };
  struct Partition {
    uint64_t epoch = 0;
    bool caught_up = false;
    int64_t catch_up_to = -1;  // the high watermark at assignment: caught up once read past it
    int64_t position = -1;     // the next offset to be read here (-1: nothing read yet)
    std::map<std::string, Entry> entries;  // "endpoint_id event_id" → the latest pending record
    BatchHolds holds;
    // Run-event chains rescheduled whose next record is not read yet: still open in `holds`.
    std::set<std::string> awaiting;
  };
  struct Timer {
    int64_t due_at;
    TopicPartition tp;
    std::string key;
    int64_t offset;
    bool operator>(const Timer& o) const { return due_at > o.due_at; }
  };
  struct Completion {
    enum class Kind { kDelivery, kSettleOnly } kind;
    TopicPartition tp;
    uint64_t epoch;
    std::string key;
    int64_t offset;
    Outcome outcome;
  };

  void loop();
  void handle(const Message& m);
  // Every change to Partition::entries goes through these two, which keep `holds` in step.
  void track(const TopicPartition& tp, Partition& part, std::string key, WebhookDelivery d, int64_t offset);
  // `rescheduled`: the chain goes on in a record not read yet, so it stays open meanwhile.
  void untrack(Partition& part, std::map<std::string, Entry>::iterator it, bool rescheduled = false);
  void releaseHolds();
  void fireDue();
  void drainCompletions();
  void settle(const TopicPartition& tp, int64_t offset);
  void post(Completion c);
  void updateBacklog();

  const Config& config_;
  const Topics& topics_;
  EndpointView& view_;
  Deliverer& deliverer_;
  Producer& producer_;
  SenderMetrics& metrics_;
  Clock& clock_;
  PoisonRecords& poison_;  // records that do not decode
  OffsetTracker tracker_;
  std::unique_ptr<SettledProbe> probe_;
  std::map<TopicPartition, Partition> parts_;
  uint64_t next_epoch_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::map<std::string, std::unique_ptr<ReplayScanner>> replays_;  // by "partition/offset"
  std::atomic<size_t> backlog_{0};
  std::mutex mu_;
  std::vector<Completion> completions_;
  std::atomic<bool> stop_{false};
  bool finished_ = false;
  std::unique_ptr<Consumer> consumer_;  // its rebalance callbacks call this object
  std::thread thread_;                  // last
};

}  // namespace batchrun::webhook
