#pragma once
// Ingest's configuration, one struct with defaults on the members, read by loadIngestConfig().
#include <cstddef>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"

namespace batchrun::ingest {

struct IngestConfig {
  ServiceConfig service = ServiceConfig::withPort(8080);
  int http_threads = 2;
};

void loadIngestConfig(EnvReader& env, IngestConfig& out);
extern const char* const kIngestHelp;

}  // namespace batchrun::ingest
