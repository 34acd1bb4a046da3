// The README's walkthrough, executed as written: scripts/run starts the local system (with this
// test's ports, state directory and topic prefix, on the test broker, from the built binaries), then
// the walkthrough's shell blocks — extracted from README.md between the walkthrough markers — run
// under bash with the README's default addresses swapped for the test's. If a service or endpoint
// is not there yet, the failure message starts with what scripts/run reported missing.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "http.hpp"
#include "kafka_env.hpp"
#include "local_system.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

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

TEST(ReadmeWalkthroughTest, ScriptsRunThenTheReadmeCommandsWorkAsWritten) {
  LocalSystem system;
  std::string start_log;
  int started = system.start(start_log);
  ASSERT_EQ(started, 0) << LocalSystem::missingParts(start_log) << "\nscripts/run start output:\n" << start_log;
  EXPECT_NE(start_log.find("dev-key"), std::string::npos) << "scripts/run does not print the API key";

  std::string commands = walkthroughCommands(readFile(sourceDir() + "/README.md"));
  ASSERT_FALSE(commands.empty()) << "README.md has no ```sh blocks between the walkthrough markers";
  replaceAll(commands, "http://127.0.0.1:8080", system.apiUrl());
  replaceAll(commands, "http://127.0.0.1:8091", system.url("BATCHRUN_DEMO_RECEIVER_PORT"));
  replaceAll(commands, "127.0.0.1:9092", system.env["BATCHRUN_RUN_BROKERS"]);
  replaceAll(commands, "batchrun.runs.events", system.prefix + "runs.events");
  replaceAll(commands, ".state/run/", system.state_dir + "/");
  std::string script_path = system.state_dir + "/walkthrough.sh";
  std::ofstream(script_path) << "set -euo pipefail\ncd " << system.state_dir << "\n" << commands;

  // timeout(1) bounds the walkthrough's own wait loops.
  ChildProcess walk("/usr/bin/timeout", system.env, {"240", "/bin/bash", "-x", script_path});
  ASSERT_TRUE(waitFor([&] { return !walk.running(); }, 300s, 200ms));
  int walked = walk.stop();
  std::string out = walk.log();
  ASSERT_EQ(walked, 0) << "the walkthrough failed (124: timed out). Commands:\n" << commands << "\nOutput:\n" << out
                       << "\nreceiver log:\n" << readFile(system.state_dir + "/demo-receiver.log");

  // What the README promises, checked on its own output.
  EXPECT_NE(out.find("\"completed\":4"), std::string::npos) << out;  // echo, retried, slept, async
  EXPECT_NE(out.find("\"failed\":1"), std::string::npos) << out;     // the 422
  EXPECT_NE(out.find("\"signature\":\"valid\""), std::string::npos) << out;
  EXPECT_NE(out.find("workflow_run.retrying"), std::string::npos) << out;
  EXPECT_NE(out.find("ce_type=batch.completed"), std::string::npos) << out;
  auto worker_stats = httpGet(system.url("BATCHRUN_DEMO_WORKER_PORT") + "/stats");
  EXPECT_EQ(worker_stats.status, 200);
  EXPECT_NE(worker_stats.body.find("\"in_flight\":0"), std::string::npos) << worker_stats.body;
}

}  // namespace
