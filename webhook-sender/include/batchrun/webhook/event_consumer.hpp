#pragma once
// Reads runs.events in the sender's consumer group (scales to the topic's partition count) and
// hands one delivery per matching, enabled endpoint of the event's project to the Deliverer. An
// event's offset is stored for commit only once every one of its deliveries has settled (done or
// durably in webhooks.retry/dlq), tracked per partition so a slow event never lets a later one
// commit past it. Owns one thread; start() after the endpoint view has caught up.
//
// Routing waits for the view: an event is routed only after the EndpointView has synced with
// webhooks.endpoints as it stood after the event was read (SyncBatcher), so an endpoint whose
// creation was acknowledged before the event was produced gets it, and one deleted or disabled
// before does not — whatever the view's lag. A batch.completed is not delivered from here: it goes
// to webhooks.retry as a held delivery that the RetryConsumer releases once the endpoint's
// deliveries of the batch's run events are over (README "batch.completed comes last").
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/webhook/config.hpp"
#include "batchrun/webhook/deliverer.hpp"
#include "batchrun/webhook/offset_tracker.hpp"
#include "batchrun/webhook/sender_metrics.hpp"
#include "batchrun/webhook/sync_batcher.hpp"

namespace batchrun::webhook {

class EventConsumer final : public RebalanceListener {
 public:
  // Brings the endpoint view up to webhooks.endpoints' end offsets as of the call, then runs the
  // callback (TopicFollower::syncThen).
  using ViewSync = std::function<void(std::function<void()> done)>;

  static Result<std::unique_ptr<EventConsumer>> create(const Config& config, const Topics& topics, EndpointView& view,
                                                       ViewSync view_sync, Deliverer& deliverer,
                                                       SenderMetrics& metrics, Clock& clock, PoisonRecords& poison);
  ~EventConsumer() override;
  void start();
  // Stops reading (joins the thread); finish() then stores what settled and leaves the group.
  void stopReading();
  void finish();

  void onAssigned(const std::vector<TopicPartition>& parts) override;
  void onRevoked(const std::vector<TopicPartition>& parts) override;

 private:
  EventConsumer(const Config& config, const Topics& topics, EndpointView& view, ViewSync view_sync,
                Deliverer& deliverer, SenderMetrics& metrics, Clock& clock, PoisonRecords& poison);
  struct Read {
    Message m;
    uint64_t epoch;  // of the partition's assignment when it was read
  };
  void loop();
  void route(const Message& m);
  // A batch.completed for `d.endpoint_id`: written to webhooks.retry, held there (see above).
  void hold(WebhookDelivery d, const TopicPartition& tp, int64_t offset, uint64_t epoch);
  void settleLater(const TopicPartition& tp, int64_t offset, uint64_t epoch);
  void drainSettled();
  void store(const TopicPartition& tp, std::optional<int64_t> next);

  struct Settlement {
    TopicPartition tp;
    int64_t offset;
    uint64_t epoch;
  };

  const Config& config_;
  const Topics& topics_;
  EndpointView& view_;
  Deliverer& deliverer_;
  SenderMetrics& metrics_;
  Clock& clock_;
  PoisonRecords& poison_;  // events without their headers or whose value is not an event
  OffsetTracker tracker_;
  SyncBatcher<Read> batcher_;
  std::map<TopicPartition, uint64_t> epochs_;  // per assignment, so stale settlements are ignored
  uint64_t next_epoch_ = 0;
  std::mutex mu_;
  std::vector<Settlement> settled_;  // filled by other threads, drained by the loop
  std::atomic<bool> stop_{false};
  bool finished_ = false;
  std::unique_ptr<Consumer> consumer_;  // its rebalance callbacks call this object
  rd_kafka_queue_t* wake_queue_ = nullptr;  // the consumer's queue: a finished sync yields it
  std::thread thread_;                  // last
};

}  // namespace batchrun::webhook
