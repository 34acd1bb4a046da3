#include "local_system.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "batchrun/common/ids.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {

namespace {
int runToExit(ChildProcess& p, std::chrono::seconds deadline) {
  if (!waitFor([&] { return !p.running(); }, deadline, std::chrono::milliseconds(200))) return p.stop(9);
  return p.stop();
}
}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LocalSystem::LocalSystem(bool lb_topology) : lb(lb_topology) {
  auto kafka = uniqueKafkaSettings(3);
  prefix = kafka.topic_prefix;
  state_dir = "/tmp/batchrun-e2e-" + uuidv7();
  env = {{"BATCHRUN_RUN_DIR", state_dir},
         {"BATCHRUN_RUN_BIN_DIR", binDir()},
         {"BATCHRUN_RUN_BROKERS", kafka.brokers},
         {"BATCHRUN_RUN_TIMEOUT", "120"},
         {"BATCHRUN_TOPIC_PREFIX", prefix},
         {"BATCHRUN_KAFKA_PARTITIONS", "3"},
         {"BATCHRUN_INGEST_PORT", std::to_string(freePort())},
         {"BATCHRUN_DISPATCHER_PORT", std::to_string(freePort())},
         {"BATCHRUN_WEBHOOK_PORT", std::to_string(freePort())},
         {"BATCHRUN_DEMO_WORKER_PORT", std::to_string(freePort())},
         {"BATCHRUN_DEMO_RECEIVER_PORT", std::to_string(freePort())}};
  if (lb) {
    env["BATCHRUN_RUN_TOPOLOGY"] = "lb";
    env["BATCHRUN_RUN_INGEST_1_PORT"] = std::to_string(freePort());
    env["BATCHRUN_RUN_INGEST_2_PORT"] = std::to_string(freePort());
    env["BATCHRUN_RUN_DISPATCHER_2_PORT"] = std::to_string(freePort());
  }
}

LocalSystem::~LocalSystem() {
  ChildProcess stop("/bin/bash", env, {sourceDir() + "/scripts/run", "stop"});
  EXPECT_EQ(runToExit(stop, std::chrono::seconds(120)), 0) << stop.log();
  // The services run detached from the test (scripts/run), so their exit codes never reach it: in
  // a sanitizer build, a report in any service's log fails the test instead.
  std::error_code missing;  // nothing started: no directory
  for (const auto& entry : std::filesystem::directory_iterator(state_dir, missing)) {
    if (entry.path().extension() != ".log") continue;
    if (auto report = sanitizerReport(readFile(entry.path().string())); !report.empty()) {
      ADD_FAILURE() << entry.path().filename().string() << " reported:\n" << report;
    }
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "service logs kept in %s\n", state_dir.c_str());
  } else {
    std::filesystem::remove_all(state_dir);
  }
}

int LocalSystem::start(std::string& log) {
  ChildProcess p("/bin/bash", env, {sourceDir() + "/scripts/run", "start"});
  int status = runToExit(p, std::chrono::seconds(300));
  log = p.log();
  // The suites' *_lb_tests runs prove nothing unless they really went through the load balancer.
  if (lb && status == 0 && log.find("topology lb") == std::string::npos) {
    ADD_FAILURE() << "scripts/run did not start the lb topology:\n" << log;
  }
  return status;
}

std::string LocalSystem::missingParts(const std::string& log) {
  std::istringstream lines(log);
  std::string line, out;
  while (std::getline(lines, line)) {
    for (const char* mark : {"NOT YET AVAILABLE", "INCOMPLETE", "not ready", "exited", "not built", "failed"}) {
      if (line.find(mark) != std::string::npos) {
        out += "  " + line + "\n";
        break;
      }
    }
  }
  return out.empty() ? "" : "missing:\n" + out;
}

}  // namespace batchrun::testing
