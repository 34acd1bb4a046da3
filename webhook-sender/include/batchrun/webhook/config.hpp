#pragma once
// The batchrun-webhook-sender configuration, one struct with defaults on the members.
#include "batchrun/common/config.hpp"
#include "batchrun/common/service_config.hpp"

namespace batchrun::webhook {

struct Config {
  ServiceConfig service = ServiceConfig::withPort(8082);  // health and metrics
};

void loadConfig(EnvReader& env, Config& out);
extern const char* const kHelp;

}  // namespace batchrun::webhook
