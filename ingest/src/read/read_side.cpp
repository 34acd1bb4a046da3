#include "batchrun/ingest/read/read_side.hpp"

#include "batchrun/ingest/read/control_routes.hpp"
#include "batchrun/ingest/read/read_routes.hpp"

namespace batchrun::ingest {

// The variables' lines in --help are in kIngestHelp (config.cpp), with the rest of ingest's.
void loadReadSideConfig(EnvReader& env, ReadSideConfig& out) {
  env.integer("BATCHRUN_SSE_RETAIN_SECONDS", out.sse_retain_s, int64_t{0}, int64_t{30} * 24 * 3600);
  env.integer("BATCHRUN_SSE_HEARTBEAT_MS", out.sse_heartbeat_ms, 100, 3'600'000);
  env.integer("BATCHRUN_READ_CATCH_UP_MS", out.catch_up_ms, 1, 60'000);
}

namespace {
// Twice the record reader's consumers: reads answered from its cache go on while two wait on Kafka.
constexpr int kReadThreads = 4;
// Beyond this many reads waiting, a read is a 503 at once rather than a growing queue.
constexpr size_t kMaxQueuedReads = 1024;

BatchEventsConfig eventsConfig(const ReadSideConfig& c) {
  BatchEventsConfig e;
  e.retain_ms = c.sse_retain_s * 1000;
  return e;
}
SseConfig sseConfig(const ReadSideConfig& c) {
  SseConfig s;
  s.heartbeat_ms = c.sse_heartbeat_ms;
  return s;
}
}  // namespace

ReadSide::ReadSide(ReadSideConfig config, const Clock& clock)
    : clock_(clock),
      events_(eventsConfig(config), clock_),
      sse_(events_, sseConfig(config), clock_),
      catch_up_(config.catch_up_ms) {}

ReadSide::~ReadSide() { stop(); }

Status ReadSide::start(const KafkaSettings& kafka, std::function<bool()> kafka_reachable,
                       std::shared_ptr<FollowerHub> hub, PoisonRecords* poison) {
  view_.setRetention(kafka.run_retention_ms, clock_);
  if (auto st = view_.follow(kafka, std::move(kafka_reachable), hub, poison); !st) return st;
  if (auto st = events_.follow(kafka, std::move(hub), poison); !st) return st;
  sse_.start();
  return {};
}

void ReadSide::addRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, Producer& producer,
                         const KafkaSettings& kafka, SubmissionTracker& tracker) {
  reads_ = std::make_unique<ReadPool>(kReadThreads, kMaxQueuedReads, tracker);
  addReadRoutes(router, keys, view_, events_, sse_, *reads_, catch_up_);
  addControlRoutes(router, keys, view_, events_, producer, Topics(kafka), *reads_, catch_up_);
}

void ReadSide::stopStreams() { sse_.stop(); }

void ReadSide::stop() {
  catch_up_.stop();            // before the pool: the reads waiting for their view go to it
  if (reads_) reads_->stop();  // before the view: queued reads use it
  sse_.stop();
  events_.stop();  // before sse_ (the SseHub, not the FollowerHub) goes: events_ notifies it
  view_.stop();
}

std::string ReadSide::readiness() const {
  if (!view_.caughtUp()) return "read view catching up with the run topics";
  if (!events_.caughtUp()) return "event log catching up with runs.events";
  return {};
}

}  // namespace batchrun::ingest
