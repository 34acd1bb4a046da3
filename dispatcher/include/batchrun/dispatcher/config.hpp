#pragma once
// The batchrun-dispatcher configuration, one struct with defaults on the members
// (BATCHRUN_DISPATCHER_* and a few shared variables; see docs/configuration.md).
#include <cstdint>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"
#include "batchrun/dispatcher/worker/retry_policy.hpp"

namespace batchrun::dispatcher {

struct Config {
  ServiceConfig service = ServiceConfig::withPort(8081);  // health and metrics
  // Derived from the topic prefix by loadConfig (consumerGroupId); these are the default prefix's.
  std::string group_id = "batchrun-dispatcher";           // lanes + runs.control
  std::string tracker_group_id = "batchrun-batch-tracker"; // batches.progress
  int max_inflight = 1000;                 // global cap on runs executing at once
  // No new attempt while this many outcome records wait for Kafka's acknowledgement: bounds what a
  // crash executes again (docs/operations.md). Costs no throughput at 1 here (docs/performance.md):
  // a reopened gate refills every free slot at once.
  int max_unacked_outcomes = 64;
  int min_lane_share_percent = 10;         // starvation guard: share of start slots a waiting lower lane gets
  int max_buffered_per_partition = 1000;   // read-ahead bound per lane partition (runs waiting in memory)
  RetryPolicy retry;                       // BATCHRUN_DISPATCHER_RETRY_BASE_MS / _RETRY_MAX_MS
  int64_t request_timeout_ms = 300000;     // cap on one HTTP attempt (the run's own deadline may cut it shorter)
  int max_connections = 2048;              // outbound connections (libcurl multi)
  int64_t drain_timeout_ms = 10000;        // on SIGTERM: wait this long for calls in flight to answer
  std::string worker_secret;               // BATCHRUN_WORKER_SECRET: signs worker requests; empty = unsigned
  int64_t workflow_grace_ms = 5000;        // a run of an unknown workflow waits at least this long for it
  int callback_attempts = 3;               // failure callbacks: tries per callback
  int64_t callback_retry_ms = 1000;        // failure callbacks: first retry delay, doubled per try
  int64_t callback_timeout_ms = 10000;     // failure callbacks: one try's HTTP timeout
  bool allow_private_destinations = false; // BATCHRUN_ALLOW_PRIVATE_DESTINATIONS (local run and tests only)
  bool allow_metadata_destinations = false; // BATCHRUN_ALLOW_METADATA_DESTINATIONS (cloud metadata services)
};

void loadConfig(EnvReader& env, Config& out);
extern const char* const kHelp;

}  // namespace batchrun::dispatcher
