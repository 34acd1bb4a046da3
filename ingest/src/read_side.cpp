#include "batchrun/ingest/read_side.hpp"

#include "batchrun/ingest/control_routes.hpp"
#include "batchrun/ingest/read_routes.hpp"

namespace batchrun::ingest {

const char* const kReadSideHelp =
    "  BATCHRUN_SSE_RETAIN_SECONDS  keep a completed batch's events for SSE replay this long (3600)\n"
    "  BATCHRUN_SSE_HEARTBEAT_MS    SSE keep-alive comment interval (15000)\n";

void loadReadSideConfig(EnvReader& env, ReadSideConfig& out) {
  int64_t retain_s = out.events.retain_ms / 1000;
  env.integer("BATCHRUN_SSE_RETAIN_SECONDS", retain_s, int64_t{0}, int64_t{30} * 24 * 3600);
  out.events.retain_ms = retain_s * 1000;
  env.integer("BATCHRUN_SSE_HEARTBEAT_MS", out.sse.heartbeat_ms, 100, 3'600'000);
}

ReadSide::ReadSide(ReadSideConfig config, const Clock& clock)
    : config_(config), clock_(clock), events_(config_.events, clock_), sse_(events_, config_.sse, clock_) {}

ReadSide::~ReadSide() { stop(); }

Status ReadSide::start(const KafkaSettings& kafka) {
  if (auto st = view_.follow(kafka); !st) return st;
  if (auto st = events_.follow(kafka); !st) return st;
  sse_.start();
  return {};
}

void ReadSide::addRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, Producer& producer,
                         const KafkaSettings& kafka) {
  addReadRoutes(router, keys, view_, sse_);
  addControlRoutes(router, keys, view_, producer, Topics(kafka));
}

void ReadSide::stopStreams() { sse_.stop(); }

void ReadSide::stop() {
  sse_.stop();
  events_.stop();  // before the hub goes: the follower thread notifies it
  view_.stop();
}

std::string ReadSide::readiness() const {
  if (!view_.caughtUp()) return "read view catching up with the run topics";
  if (!events_.caughtUp()) return "event log catching up with runs.events";
  return {};
}

}  // namespace batchrun::ingest
