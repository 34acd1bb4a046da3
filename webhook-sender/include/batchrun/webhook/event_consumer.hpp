#pragma once
// Reads runs.events in the sender's consumer group (scales to the topic's partition count) and
// hands one delivery per matching, enabled endpoint of the event's project to the Deliverer. An
// event's offset is stored for commit only once every one of its deliveries has settled (done or
// durably in webhooks.retry/dlq), tracked per partition so a slow event never lets a later one
// commit past it. Owns one thread; start() after the endpoint view has caught up.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batchrun/common/kafka/consumer.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/webhook/config.hpp"
#include "batchrun/webhook/deliverer.hpp"
#include "batchrun/webhook/offset_tracker.hpp"
#include "batchrun/webhook/sender_metrics.hpp"

namespace batchrun::webhook {

class EventConsumer final : public RebalanceListener {
 public:
  static Result<std::unique_ptr<EventConsumer>> create(const Config& config, const Topics& topics, EndpointView& view,
                                                       Deliverer& deliverer, SenderMetrics& metrics);
  ~EventConsumer() override;
  void start();
  // Stops reading (joins the thread); finish() then stores what settled and leaves the group.
  void stopReading();
  void finish();

  void onAssigned(const std::vector<TopicPartition>& parts) override;
  void onRevoked(const std::vector<TopicPartition>& parts) override;

 private:
  EventConsumer(const Config& config, const Topics& topics, EndpointView& view, Deliverer& deliverer,
                SenderMetrics& metrics);
  void loop();
  void handle(const Message& m);
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
  OffsetTracker tracker_;
  std::map<TopicPartition, uint64_t> epochs_;  // per assignment, so stale settlements are ignored
  uint64_t next_epoch_ = 0;
  std::mutex mu_;
  std::vector<Settlement> settled_;  // filled by other threads, drained by the loop
  std::atomic<bool> stop_{false};
  bool finished_ = false;
  std::unique_ptr<Consumer> consumer_;  // its rebalance callbacks call this object
  std::thread thread_;                  // last
};

}  // namespace batchrun::webhook
