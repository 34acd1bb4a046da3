#include "batchrun/ingest/app.hpp"

#include <chrono>
#include <thread>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/http/ops_http.hpp"
#include "batchrun/ingest/http/openapi_route.hpp"

namespace batchrun::ingest {

namespace {
// A body declared up to this much over the limit is still read and reaches its route, which
// answers 413 in its API's own error shape and keeps the connection; beyond it the edge answers
// (and closes: the body is left unread).
constexpr size_t kHeaderAllowance = 64 * 1024;
}  // namespace

App::App(IngestConfig config)
    : config_(std::move(config)),
      topics_(config_.service.kafka),
      ingest_metrics_(metrics_, config_.service.kafka.lanes),
      idempotency_(config_.idempotency_window_s * 1000, SystemClock::instance()),
      read_(config_.read) {}

App::~App() { stop(); }

Status App::start() {
  const auto& kafka = config_.service.kafka;
  if (config_.service.create_topics) {
    if (auto st = ensureTopics(kafka, standardTopics(kafka)); !st) return st;
  }
  auto producer = Producer::create(kafka);
  if (!producer) return producer.error();
  producer_ = std::move(*producer);
  // The runs.index records wait for their lane records, so their own linger is short: every
  // millisecond of it is a millisecond of each request's answer, and at ≈ 400 requests/s a longer
  // one batched barely more than one record anyway (3 ms: ≈ 4.6 ms from the last lane ack to the
  // index ack; 0.5 ms: ≈ 1.6–2.3 ms, the same CPU; docs/performance.md). Not 0: there every record
  // was a batch of its own, which an earlier measurement put at ≈ 0.5 µs more CPU per item.
  auto index_producer = Producer::create(kafka, {{"linger.ms", "0.5"}});
  if (!index_producer) return index_producer.error();
  index_producer_ = std::move(*index_producer);
  poison_ = std::make_unique<PoisonRecords>("ingest", topics_.dead_letter, producer_.get(), metrics_);
  health_ = std::make_unique<KafkaHealth>(*producer_, ingest_metrics_.queueDepth());
  health_->start();
  auto hub = FollowerHub::create(kafka);
  if (!hub) return hub.error();
  follower_hub_ = std::move(*hub);
  startWriteSide();
  if (auto st = read_.start(kafka, [this] { return health_->ok(); }, follower_hub_, poison_.get()); !st) return st;

  addOpsRoutes(router_, metrics_, [this] { return readiness(); });
  addWriteRoutes(router_, *write_deps_);
  addWorkflowRoutes(router_, *workflow_deps_);
  addOpenApiRoute(router_);
  read_.addRoutes(router_, config_.api_keys, *producer_, kafka, submissions_);
  compat_deps_.reset(new CompatDeps{*write_deps_, read_.view(), read_.reads(), read_.catchUp(), *producer_, topics_});
  addCompatRoutes(router_, *compat_deps_);
  auto webhook_endpoints = WebhookEndpointRoutes::start(config_.webhook_endpoints, kafka, config_.api_keys, *producer_,
                                                        SystemClock::instance(), follower_hub_, poison_.get());
  if (!webhook_endpoints) return webhook_endpoints.error();
  webhook_endpoints_ = std::move(*webhook_endpoints);
  webhook_endpoints_->addRoutes(router_);
  if (auto st = startEdge(); !st) return st;
  log::info("ingest listening", {{"address", config_.service.http_host + ":" + std::to_string(port())}});
  return {};
}

Status App::startEdge() {
  EdgeServerOptions edge;
  edge.host = config_.service.http_host;
  edge.port = config_.service.http_port;
  edge.threads = config_.http_threads;
  EdgeLimits limits;
  // Bodies over the limit by more than the allowance are answered (413, connection closed) before
  // being read; smaller excess still reaches the route, which answers in its API's own shape.
  limits.max_body = static_cast<uint64_t>(config_.max_body_bytes) + kHeaderAllowance;
  limits.head_timeout = std::chrono::milliseconds(config_.head_timeout_ms);
  limits.body_timeout = std::chrono::milliseconds(config_.body_timeout_ms);
  limits.idle_timeout = std::chrono::milliseconds(config_.idle_timeout_ms);
  limits.max_connections = static_cast<size_t>(config_.max_connections);
  const char* reasons[] = {"payload_too_large", "malformed", "timed_out", "idle", "refused"};
  for (size_t i = 0; i < edge_closed_.size(); ++i) {
    edge_closed_[i] = &metrics_.counter("batchrun_ingest_connections_closed_total",
                                        "Connections the HTTP edge answered and closed, or closed, by itself",
                                        {{"reason", reasons[i]}});
  }
  auto server = EdgeServer::start(edge, router_, limits, [this](EdgeEvent why) {
    if (why == EdgeEvent::kTooLarge) ingest_metrics_.rejected(Rejection::kTooLarge).inc();
    edge_closed_[static_cast<size_t>(why)]->inc();
  });
  if (!server) return server.error();
  server_ = std::move(*server);
  return {};
}

void App::startWriteSide() {
  const auto& kafka = config_.service.kafka;
  workflow_follower_ = std::make_unique<ViewFollower>(
      "workflows", kafka, std::vector<std::string>{topics_.workflows},
      poison_->guard([this](const Message& m) {
        return workflows_.apply(m.key(), m.value(), m.offset()) ? std::string() : std::string("undecodable workflow record");
      }),
      follower_hub_);
  idempotency_follower_ = std::make_unique<ViewFollower>(
      "idempotency", kafka, std::vector<std::string>{topics_.idempotency},
      poison_->guard([this](const Message& m) { return idempotency_.apply(m.key(), m.value()); }), follower_hub_);
  workflow_follower_->start();
  idempotency_follower_->start();
  write_deps_.reset(new WriteDeps{
      .config = config_,
      .topics = topics_,
      .producer = *producer_,
      .index_producer = index_producer_.get(),
      .idempotency = idempotency_,
      .idempotency_ready = [this] { return idempotency_follower_->caughtUp(); },
      .workflows = workflows_,
      .find_run = [this](const std::string& project, const std::string& run_id) {
        return read_.view().summary(project, run_id);
      },
      .health = *health_,
      .metrics = ingest_metrics_,
      .tracker = submissions_,
      .clock = SystemClock::instance(),
      .on_accepted = {read_.view().instance(),
                      [this](const RunIndex& request) { read_.view().noteAccepted(request); }},
      .draining = [this] { return draining_.load(); },
  });
  workflow_deps_.reset(new WorkflowDeps{config_, topics_, *producer_, workflows_, *health_, ingest_metrics_,
                                        SystemClock::instance(), [this] {
                                          return workflow_follower_->syncWait(config_.read.catch_up_ms);
                                        }});
}

void App::stop() {
  // Stop taking writes, then let every accepted request get its answer while its connection and
  // the endpoint still exist (bounded by the producer's message timeout, twice: a request's run
  // index is written after its lane records).
  draining_ = true;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(2 * config_.service.kafka.message_timeout_ms + 5000);
  while (submissions_.live() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  submissions_.close();
  read_.stopStreams();  // SSE streams end cleanly while their connections still exist
  if (server_) {
    server_->shutdown();
    server_.reset();
  }
  if (workflow_follower_) workflow_follower_->stop();
  if (idempotency_follower_) idempotency_follower_->stop();
  if (health_) health_->stop();
  read_.stop();
  if (poison_) poison_->detachProducer();  // the endpoint view's follower runs until the routes go
  for (auto* p : {&producer_, &index_producer_}) {
    if (!*p) continue;
    int left = (*p)->flush(10000);
    if (left > 0) log::error("undelivered records at shutdown", {{"count", std::to_string(left)}});
    p->reset();
  }
}

uint16_t App::port() const {
  return server_ ? server_->port() : static_cast<uint16_t>(config_.service.http_port);
}

std::string App::readiness() const {
  if (!producer_ || !producer_->reachable(2000)) return "kafka unreachable at " + config_.service.kafka.brokers;
  if (!workflow_follower_ || !workflow_follower_->caughtUp()) return "workflow view catching up with its topic";
  if (!idempotency_follower_ || !idempotency_follower_->caughtUp()) return "idempotency window catching up";
  if (auto why = read_.readiness(); !why.empty()) return why;
  if (auto why = webhook_endpoints_ ? webhook_endpoints_->readiness() : std::string(); !why.empty()) return why;
  return {};
}

}  // namespace batchrun::ingest
