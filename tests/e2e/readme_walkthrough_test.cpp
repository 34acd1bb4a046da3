// The README's walkthrough, executed as written: scripts/run starts the local system (with this
// test's ports, state directory and topic prefix, on the test broker, from the built binaries), then
// the walkthrough's shell blocks — extracted from README.md between the walkthrough markers — run
// under bash with the README's default addresses swapped for the test's. If a service or endpoint
// is not there yet, the failure message starts with what scripts/run reported missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "batchrun/common/ids.hpp"
#include "http.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ```sh blocks between <!-- walkthrough:begin --> and <!-- walkthrough:end -->, in order.
std::string walkthroughCommands(const std::string& readme) {
  auto begin = readme.find("<!-- walkthrough:begin -->");
  auto end = readme.find("<!-- walkthrough:end -->");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
  std::istringstream lines(readme.substr(begin, end - begin));
  std::string line, out;
  bool in_block = false;
  while (std::getline(lines, line)) {
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block && line == "```sh";
      continue;
    }
    if (in_block) out += line + "\n";
  }
  return out;
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

// Lines of scripts/run's output that say what is missing, to lead the failure message.
std::string missingParts(const std::string& log) {
  std::istringstream lines(log);
  std::string line, out;
  while (std::getline(lines, line)) {
    if (line.find("NOT YET AVAILABLE") != std::string::npos || line.find("INCOMPLETE") != std::string::npos ||
        line.find("not ready") != std::string::npos || line.find("exited") != std::string::npos ||
        line.find("not built") != std::string::npos) {
      out += "  " + line + "\n";
    }
  }
  return out.empty() ? "" : "missing:\n" + out;
}

int runToExit(ChildProcess& p, std::chrono::seconds deadline) {
  if (!waitFor([&] { return !p.running(); }, deadline, 200ms)) return p.stop(9);
  return p.stop();
}

class ReadmeWalkthroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kafka = uniqueKafkaSettings(3);
    prefix_ = kafka.topic_prefix;
    state_dir_ = "/tmp/batchrun-walkthrough-" + batchrun::uuidv7();
    env_ = {{"BATCHRUN_RUN_DIR", state_dir_},
            {"BATCHRUN_RUN_BIN_DIR", binDir()},
            {"BATCHRUN_RUN_BROKERS", kafka.brokers},
            {"BATCHRUN_RUN_TIMEOUT", "120"},
            {"BATCHRUN_TOPIC_PREFIX", prefix_},
            {"BATCHRUN_KAFKA_PARTITIONS", "3"},
            {"BATCHRUN_INGEST_PORT", std::to_string(freePort())},
            {"BATCHRUN_DISPATCHER_PORT", std::to_string(freePort())},
            {"BATCHRUN_WEBHOOK_PORT", std::to_string(freePort())},
            {"BATCHRUN_DEMO_WORKER_PORT", std::to_string(freePort())},
            {"BATCHRUN_DEMO_RECEIVER_PORT", std::to_string(freePort())}};
  }
  void TearDown() override {
    ChildProcess stop("/bin/bash", env_, {sourceDir() + "/scripts/run", "stop"});
    EXPECT_EQ(runToExit(stop, 120s), 0) << stop.log();
    if (!HasFailure()) std::filesystem::remove_all(state_dir_);  // kept with its logs when the test failed
  }
  std::string url(const char* port_var) { return "http://127.0.0.1:" + env_[port_var]; }

  std::string prefix_, state_dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ReadmeWalkthroughTest, ScriptsRunThenTheReadmeCommandsWorkAsWritten) {
  ChildProcess start("/bin/bash", env_, {sourceDir() + "/scripts/run", "start"});
  int started = runToExit(start, 300s);
  std::string start_log = start.log();
  ASSERT_EQ(started, 0) << missingParts(start_log) << "\nscripts/run start output:\n" << start_log;
  EXPECT_NE(start_log.find("dev-key"), std::string::npos) << "scripts/run does not print the API key";

  std::string commands = walkthroughCommands(readFile(sourceDir() + "/README.md"));
  ASSERT_FALSE(commands.empty()) << "README.md has no ```sh blocks between the walkthrough markers";
  replaceAll(commands, "http://127.0.0.1:8080", url("BATCHRUN_INGEST_PORT"));
  replaceAll(commands, "http://127.0.0.1:8091", url("BATCHRUN_DEMO_RECEIVER_PORT"));
  replaceAll(commands, "127.0.0.1:9092", env_["BATCHRUN_RUN_BROKERS"]);
  replaceAll(commands, "batchrun.runs.events", prefix_ + "runs.events");
  replaceAll(commands, ".state/run/", state_dir_ + "/");
  std::string script_path = state_dir_ + "/walkthrough.sh";
  std::ofstream(script_path) << "set -euo pipefail\ncd " << state_dir_ << "\n" << commands;

  // timeout(1) bounds the walkthrough's own wait loops.
  ChildProcess walk("/usr/bin/timeout", env_, {"240", "/bin/bash", "-x", script_path});
  int walked = runToExit(walk, 300s);
  std::string out = walk.log();
  ASSERT_EQ(walked, 0) << "the walkthrough failed (124: timed out). Commands:\n" << commands << "\nOutput:\n" << out
                       << "\nreceiver log:\n" << readFile(state_dir_ + "/demo-receiver.log");

  // What the README promises, checked on its own output.
  EXPECT_NE(out.find("\"completed\":4"), std::string::npos) << out;  // echo, retried, slept, async
  EXPECT_NE(out.find("\"failed\":1"), std::string::npos) << out;     // the 422
  EXPECT_NE(out.find("\"signature\":\"valid\""), std::string::npos) << out;
  EXPECT_NE(out.find("workflow_run.retrying"), std::string::npos) << out;
  EXPECT_NE(out.find("ce_type=batch.completed"), std::string::npos) << out;
  auto worker_stats = httpGet(url("BATCHRUN_DEMO_WORKER_PORT") + "/stats");
  EXPECT_EQ(worker_stats.status, 200);
  EXPECT_NE(worker_stats.body.find("\"in_flight\":0"), std::string::npos) << worker_stats.body;
}

}  // namespace
