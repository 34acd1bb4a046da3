#pragma once
// Acts on one replay request: reads runs.events from the first offset at or after `since` to the
// end as of now (records newer than `until` skipped), and for each event of the endpoint's project
// that its filter wants writes a fresh delivery (attempt 1, due now) to webhooks.retry, where the
// RetryConsumer picks it up like any retry. Runs on its own thread; done(ok) reports whether every
// record was acknowledged (on false the caller tries the replay again; duplicates are merged by
// the RetryConsumer, which keys deliveries by endpoint and event).
#include <atomic>
#include <functional>
#include <thread>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/common/records/webhook_records.hpp"

namespace batchrun::webhook {

class ReplayScanner {
 public:
  using Done = std::function<void(bool ok)>;
  ReplayScanner(const KafkaSettings& kafka, const Topics& topics, EndpointView& view, Producer& producer,
                WebhookReplay replay, Done done);
  ~ReplayScanner();  // stops and joins; done() is not called if it had not finished
  bool finished() const { return finished_.load(); }

 private:
  void run();
  bool scan();

  const KafkaSettings& kafka_;
  const Topics& topics_;
  EndpointView& view_;
  Producer& producer_;
  WebhookReplay replay_;
  Done done_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last
};

}  // namespace batchrun::webhook
