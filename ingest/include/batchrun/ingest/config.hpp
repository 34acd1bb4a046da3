#pragma once
// Ingest's configuration, one struct with defaults on the members, read by loadIngestConfig().
#include <cstddef>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"
#include "batchrun/ingest/auth.hpp"

namespace batchrun::ingest {

struct IngestConfig {
  ServiceConfig service = ServiceConfig::withPort(8080);
  int http_threads = 2;
  ApiKeys api_keys;  // BATCHRUN_API_KEYS="<sha256-hex>:<project>,..."; none configured = every request is 401
};

void loadIngestConfig(EnvReader& env, IngestConfig& out);
extern const char* const kIngestHelp;

}  // namespace batchrun::ingest
