#pragma once
// The shape every service's main() shares: parse --help, load config (all problems at once, exit
// 2), init logging, start the App, wait for SIGINT/SIGTERM, drain. A service's main.cpp is one call.
#include <functional>
#include <string>

#include "batchrun/common/config.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun {

struct ServiceHooks {
  std::string name;         // e.g. "batchrun-ingest"
  std::string help;         // printed by --help: the env vars the service reads
  // Loads config from env into the service's own struct; problems go to env.
  std::function<void(EnvReader&)> load;
  std::function<std::string()> log_level;
  std::function<Status()> start;  // builds and starts the App
  std::function<void()> stop;     // drains and stops it
};

int runService(int argc, char** argv, const ServiceHooks& hooks);

}  // namespace batchrun
