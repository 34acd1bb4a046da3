#pragma once
// What the webhook-sender tests share: a unique topic prefix on the real broker, a producer for
// endpoint records and events, a real receiver, a sender App configured for fast retries, and a
// reader of webhooks.dlq.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/common/records/webhook_records.hpp"
#include "batchrun/webhook/app.hpp"
#include "receiver.hpp"

namespace batchrun::testing {

class SenderEnv {
 public:
  SenderEnv();
  ~SenderEnv();
  // Writes an endpoint record straight to webhooks.endpoints (as ingest would).
  WebhookEndpoint addEndpoint(const std::string& project, const std::string& url,
                              std::vector<std::string> event_types = {}, std::vector<EndpointSecret> secrets = {});
  void writeEndpoint(const WebhookEndpoint& e);
  // Produces one event per run (type, project) and returns the event ids, in order.
  std::vector<std::string> produceEvents(const std::string& project, int runs, const std::string& type,
                                         const std::string& traceparent = {});
  std::string produceBatchCompleted(const std::string& project);
  webhook::Config senderConfig(const std::string& schedule_ms = "0,100,200") const;
  std::unique_ptr<webhook::App> startSender(webhook::Config config, Clock& clock = SystemClock::instance());
  // webhooks.dlq records seen so far (starts following on first call).
  std::vector<WebhookDelivery> deadLetters();
  double metric(webhook::App& app, const std::string& name_and_labels);

  KafkaSettings kafka;
  Topics topics;
  std::unique_ptr<Producer> producer;
  Receiver receiver;

 private:
  std::mutex mu_;
  std::vector<WebhookDelivery> dead_;
  std::unique_ptr<TopicFollower> dlq_;
};

std::vector<int64_t> parseSchedule(const std::string& csv);

}  // namespace batchrun::testing
