#include "batchrun/webhook/app.hpp"

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::webhook {

namespace {
constexpr int kViewCatchUpMs = 60000;
}

App::App(Config config, Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      topics_(config_.service.kafka),
      sender_metrics_(metrics_, config_.delivery.metrics_endpoint_labels) {}

App::~App() { stop(); }

Status App::start() {
  const auto& kafka = config_.service.kafka;
  if (config_.service.create_topics) {
    if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) return st;
  }
  auto producer = Producer::create(kafka);
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  poison_ = std::make_unique<PoisonRecords>("webhook", topics_.dead_letter, producer_.get(), metrics_);

  auto follower = TopicFollower::start(kafka, {topics_.endpoints}, poison_->guard([this](const Message& m) {
    std::string why = view_.applyOrWhy(m);
    sender_metrics_.endpoints.set(static_cast<double>(view_.size()));
    return why;
  }));
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  if (!follower_->waitCaughtUp(kViewCatchUpMs)) return Error::unavailable("webhook endpoints topic not read to its end");

  http_ = std::make_unique<HttpClient>(
      OutboundPolicy{config_.delivery.allow_private, config_.delivery.allow_plain_http, config_.delivery.allow_metadata});
  deliverer_ = std::make_unique<Deliverer>(config_.delivery, topics_, view_, *producer_, *http_, sender_metrics_, clock_);
  auto retry = RetryConsumer::create(config_, topics_, view_, *deliverer_, *producer_, sender_metrics_, clock_, *poison_);
  if (!retry) return retry.error();
  retry_ = std::move(*retry);
  auto events = EventConsumer::create(
      config_, topics_, view_, [follower = follower_.get()](std::function<void()> done) { follower->syncThen(std::move(done)); },
      *deliverer_, sender_metrics_, clock_, *poison_);
  if (!events) return events.error();
  events_ = std::move(*events);
  retry_->start();
  events_->start();

  ops_ = std::make_unique<OpsServer>(config_.service.http_host, static_cast<uint16_t>(config_.service.http_port),
                                     metrics_, [this] { return readiness(); });
  if (auto st = ops_->start(); !st) return st;
  log::info("webhook-sender running", {{"ops_port", std::to_string(ops_->port())},
                                       {"endpoints", std::to_string(view_.size())}});
  return {};
}

void App::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (ops_) ops_->stop();
  if (events_) events_->stopReading();
  if (retry_) retry_->stopReading();
  if (http_) http_->stop();            // in-flight requests are abandoned, never settled
  if (deliverer_) deliverer_->stop();
  if (producer_) {
    int left = producer_->flush(10000);  // retry/DLQ records still settle through their reports
    if (left > 0) log::error("undelivered records at shutdown", {{"count", std::to_string(left)}});
  }
  if (events_) events_->finish();
  if (retry_) retry_->finish();
  if (poison_) poison_->detachProducer();  // the endpoint follower runs until the end of stop()
  producer_.reset();  // before the Deliverer, which handles its delivery reports
  events_.reset();
  retry_.reset();
  if (follower_) follower_->stop();
}

std::string App::readiness() const {
  if (!producer_ || !producer_->reachable(2000)) return "kafka unreachable at " + config_.service.kafka.brokers;
  if (!follower_ || !follower_->caughtUp()) return "webhook endpoints view not caught up";
  return {};
}

}  // namespace batchrun::webhook
