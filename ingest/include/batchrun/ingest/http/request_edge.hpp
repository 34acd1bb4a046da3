#pragma once
// The checks every ingest write route makes before looking at a body, in the order a client
// should learn about them: 401 (no valid bearer key), 415 (body not JSON), 413 (body over the
// limit). Each answers the request itself and returns nullopt; otherwise the caller's project.
#include <pistache/http.h>
#include <pistache/router.h>

#include <cstdint>
#include <optional>
#include <string>

#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/http/ingest_metrics.hpp"

namespace batchrun::ingest {

struct EdgeRules {
  const ApiKeys& keys;
  int64_t max_body_bytes = 0;
  bool needs_json_body = true;
};

std::optional<std::string> admitRequest(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw,
                                        const EdgeRules& rules, IngestMetrics& metrics);

// application/json, or any application/<x>+json.
bool isJsonContentType(const Pistache::Http::Request& request);
// A raw header's value (headers Pistache does not parse itself, e.g. Idempotency-Key, traceparent).
std::optional<std::string> rawHeader(const Pistache::Http::Request& request, const char* name);

}  // namespace batchrun::ingest
