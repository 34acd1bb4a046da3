#pragma once
// Configuration of ingest's read side (docs/configuration.md, section ingest), part of IngestConfig.
#include <cstdint>

#include "batchrun/common/config.hpp"

namespace batchrun::ingest {

struct ReadSideConfig {
  int64_t sse_retain_s = 3600;   // BATCHRUN_SSE_RETAIN_SECONDS: a completed batch's events stay replayable this long
  int sse_heartbeat_ms = 15000;  // BATCHRUN_SSE_HEARTBEAT_MS: keep-alive comment on idle streams
};

void loadReadSideConfig(EnvReader& env, ReadSideConfig& out);

}  // namespace batchrun::ingest
