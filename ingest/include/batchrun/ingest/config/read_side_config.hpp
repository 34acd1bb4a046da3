#pragma once
// Configuration of ingest's read side (docs/configuration.md, section ingest), part of IngestConfig.
#include <cstdint>

#include "batchrun/common/config.hpp"

namespace batchrun::ingest {

struct ReadSideConfig {
  int64_t sse_retain_s = 3600;   // BATCHRUN_SSE_RETAIN_SECONDS: a completed batch's events stay replayable this long
  int sse_heartbeat_ms = 15000;  // BATCHRUN_SSE_HEARTBEAT_MS: keep-alive comment on idle streams
  // BATCHRUN_READ_CATCH_UP_MS: how long a request that names something the view does not hold
  // waits for the view to read what Kafka held when it arrived, before answering (catch_up.hpp).
  int catch_up_ms = 2000;
};

void loadReadSideConfig(EnvReader& env, ReadSideConfig& out);

}  // namespace batchrun::ingest
