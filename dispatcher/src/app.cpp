#include "batchrun/dispatcher/app.hpp"

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/logging.hpp"

namespace batchrun::dispatcher {

App::App(Config config) : config_(std::move(config)) {}

App::~App() { stop(); }

Status App::start() {
  const auto& kafka = config_.service.kafka;
  if (config_.service.create_topics) {
    if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) return st;
  }
  std::vector<std::string> lanes;
  for (const auto& lane : kafka.lanes) lanes.push_back(lane.name);
  dispatcher_metrics_ = std::make_unique<DispatcherMetrics>(metrics_, lanes);
  auto producer = Producer::create(kafka);
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  poison_ = std::make_unique<PoisonRecords>("dispatcher", Topics(kafka).dead_letter, producer_.get(), metrics_);
  if (config_.worker_secret.empty()) log::warn("BATCHRUN_WORKER_SECRET is not set: worker requests are not signed");
  http_ = std::make_unique<HttpClient>(
      OutboundPolicy{config_.allow_private_destinations, true, config_.allow_metadata_destinations},
      config_.max_connections);
  FailureCallbacks::Options callback_options;
  callback_options.attempts = config_.callback_attempts;
  callback_options.retry = RetryPolicy{config_.callback_retry_ms, config_.callback_retry_ms * 64, 0.2};
  callback_options.timeout_ms = static_cast<long>(config_.callback_timeout_ms);
  callback_options.secret = config_.worker_secret;
  auto& m = *dispatcher_metrics_;
  FailureCallbacks::Counters counters{m.failureCallbacks("delivered"), m.failureCallbacks("retried"),
                                      m.failureCallbacks("failed")};
  callbacks_ = std::make_unique<FailureCallbacks>(callback_options, *http_, counters);
  auto follower = followWorkflows(kafka, Topics(kafka).workflows, workflows_, *poison_);
  if (!follower) return follower.error();
  follower_ = std::move(*follower);
  workflows_.attach(follower_.get());
  // Load every registration before reading runs, so only runs registered moments before they were
  // submitted ever wait for their workflow (workflow_wait.cpp).
  if (!follower_->waitCaughtUp(60000)) return Error::unavailable("workflows topic not read to its end within 60 s");
  log::info("workflows loaded", {{"count", std::to_string(workflows_.size())}});
  dispatcher_ = std::make_unique<Dispatcher>(config_, *producer_, *http_, workflows_, *callbacks_,
                                             SystemClock::instance(), *dispatcher_metrics_, *poison_);
  if (auto st = dispatcher_->start(); !st) return st;
  tracker_ = std::make_unique<BatchTracker>(kafka, config_.tracker_group_id, *producer_, SystemClock::instance(),
                                            *poison_);
  if (auto st = tracker_->start(); !st) return st;
  ops_ = std::make_unique<OpsServer>(config_.service.http_host, static_cast<uint16_t>(config_.service.http_port),
                                     metrics_, [this] { return readiness(); });
  if (auto st = ops_->start(); !st) return st;
  log::info("ops endpoint listening", {{"port", std::to_string(ops_->port())}});
  return {};
}

void App::stop() {
  if (ops_) {
    ops_->stop();
    ops_.reset();
  }
  if (tracker_) {
    tracker_->stop();
    tracker_.reset();
  }
  // Stop every thread before destroying anything: the follower and the HttpClient call back into
  // the dispatcher and the callback sender.
  if (dispatcher_) dispatcher_->stop();  // drains, stores offsets and leaves the group
  if (callbacks_) callbacks_->stop(config_.drain_timeout_ms);
  if (follower_) follower_->stop();
  workflows_.attach(nullptr);
  if (http_) http_->stop();
  dispatcher_.reset();
  callbacks_.reset();
  follower_.reset();
  http_.reset();
  poison_.reset();
  if (producer_) {
    int left = producer_->flush(10000);
    if (left > 0) log::error("records left undelivered at shutdown", {{"count", std::to_string(left)}});
    producer_.reset();
  }
}

std::string App::readiness() const {
  if (!producer_ || !producer_->reachable(2000)) return "kafka unreachable at " + config_.service.kafka.brokers;
  if (!follower_ || !follower_->caughtUp()) return "workflows not loaded";
  if (!dispatcher_) return "dispatcher not started";
  return dispatcher_->readiness();
}

}  // namespace batchrun::dispatcher
