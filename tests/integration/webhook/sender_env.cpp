#include "sender_env.hpp"

#include <gtest/gtest.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "kafka_env.hpp"
#include "prometheus_text.hpp"

namespace batchrun::testing {

namespace {
class Acks final : public DeliveryHandler {
 public:
  void onDelivery(const DeliveryReport& r, void*) override {
    if (!r.ok) failed++;
    done++;
  }
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
};
}  // namespace

std::vector<int64_t> parseSchedule(const std::string& csv) {
  std::vector<int64_t> out;
  std::stringstream ss(csv);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoll(item));
  return out;
}

SenderEnv::SenderEnv() : kafka(uniqueKafkaSettings(3)), topics(kafka) {
  auto st = ensureTopics(kafka, standardTopics(kafka));
  if (!st) ADD_FAILURE() << st.error().message;
  auto p = Producer::create(kafka);
  if (!p) ADD_FAILURE() << p.error().message;
  producer = std::move(*p);
}

SenderEnv::~SenderEnv() {
  if (dlq_) dlq_->stop();
}

void SenderEnv::writeEndpoint(const WebhookEndpoint& e) {
  auto r = producer->produceSync({topics.endpoints, e.id, encodeEndpoint(e), {}});
  ASSERT_TRUE(r && r->ok);
}

WebhookEndpoint SenderEnv::addEndpoint(const std::string& project, const std::string& url,
                                       std::vector<std::string> event_types, std::vector<EndpointSecret> secrets) {
  WebhookEndpoint e;
  e.id = newEndpointId();
  e.project = project;
  e.url = url;
  e.event_types = std::move(event_types);
  e.secrets = secrets.empty() ? std::vector<EndpointSecret>{{newWebhookSecret(), 0}} : std::move(secrets);
  e.created_at = e.updated_at = SystemClock::instance().nowMs();
  writeEndpoint(e);
  return e;
}

std::vector<std::string> SenderEnv::produceEvents(const std::string& project, int runs, const std::string& type,
                                                  const std::string& traceparent) {
  Acks acks;
  std::vector<std::string> ids;
  std::string batch = uuidv7();
  for (int i = 0; i < runs; ++i) {
    Run run;
    run.run_id = uuidv7();
    run.batch_id = batch;
    run.project = project;
    run.workflow_id = "wf";
    run.input = "{\"i\":" + std::to_string(i) + "}";
    run.status = RunStatus::kCompleted;
    run.attempt = 1;
    run.traceparent = traceparent;
    run.created_at = SystemClock::instance().nowMs();
    OutMessage m = makeRunEvent(topics.events, run, type, SystemClock::instance().nowMs());
    ids.push_back(runEventId(run, type));
    while (!producer->produce(std::move(m), &acks, nullptr)) {
      producer->flush(100);
      m = makeRunEvent(topics.events, run, type, SystemClock::instance().nowMs());
    }
  }
  producer->flush(30000);
  EXPECT_EQ(acks.failed.load(), 0);
  return ids;
}

std::string SenderEnv::produceBatchCompleted(const std::string& project) {
  BatchSummary b;
  b.project = project;
  b.batch_id = uuidv7();
  b.total = 1;
  b.counts["completed"] = 1;
  OutMessage m = makeBatchCompletedEvent(topics.events, b, SystemClock::instance().nowMs());
  std::string id;
  for (const auto& [k, v] : m.headers) if (k == header::kId) id = v;
  auto r = producer->produceSync(std::move(m));
  EXPECT_TRUE(r && r->ok);
  return id;
}

webhook::Config SenderEnv::senderConfig(const std::string& schedule_ms) const {
  webhook::Config c;
  c.service.kafka = kafka;
  c.service.http_port = 0;
  c.group_id = kafka.topic_prefix + "webhook-sender";
  c.delivery.schedule_ms = parseSchedule(schedule_ms);
  c.delivery.allow_private = true;
  c.delivery.allow_plain_http = true;
  c.delivery.timeout_ms = 5000;
  return c;
}

std::unique_ptr<webhook::App> SenderEnv::startSender(webhook::Config config, Clock& clock) {
  auto app = std::make_unique<webhook::App>(std::move(config), clock);
  auto st = app->start();
  EXPECT_TRUE(st) << (st ? "" : st.error().message);
  return app;
}

std::vector<WebhookDelivery> SenderEnv::deadLetters() {
  if (!dlq_) {
    auto f = TopicFollower::start(kafka, {topics.webhook_dlq}, [this](const Message& m) {
      auto r = decodeWebhookRecord(m.value());
      if (!r) return;
      std::lock_guard lock(mu_);
      dead_.push_back(r->delivery);
    });
    EXPECT_TRUE(f);
    dlq_ = std::move(*f);
  }
  std::lock_guard lock(mu_);
  return dead_;
}

double SenderEnv::metric(webhook::App& app, const std::string& name_and_labels) {
  return seriesValue(app.metrics().render(), name_and_labels).value_or(0);
}

}  // namespace batchrun::testing
