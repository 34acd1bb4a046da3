// The official Polos Python SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker (workflow process_data of proj-a echoes
// its input), and scripts/sdk-tests runs tests/sdk/polos/test_polos_sdk.py — batch_invoke,
// invoke, run until done, get_execution, cancel, errors through polos-sdk 0.1.15 — in its pinned venv.
#include <gtest/gtest.h>

#include <chrono>

#include "../../integration/compat/compat_system.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

TEST(PolosSdk, OfficialPythonSdkPassesAgainstIngest) {
  auto& sys = CompatSystem::get();
  ChildProcess sdk("/bin/bash", {{"BATCHRUN_SDK_URL", sys.url("")},
                                  {"BATCHRUN_SDK_API_KEY", kCompatKey},
                                  {"BATCHRUN_SDK_POLOS_PROJECT", kCompatProject},
                                  {"BATCHRUN_SDK_POLOS_WORKFLOW", "process_data"}},
                   {sourceDir() + "/scripts/sdk-tests", "polos"});
  // The first run creates the venv and installs the pins (network); later runs reuse it.
  const bool ended = waitFor([&] { return !sdk.running(); }, std::chrono::seconds(540), std::chrono::milliseconds(200));
  const int status = ended ? sdk.stop() : sdk.stop(9);
  EXPECT_TRUE(ended) << "scripts/sdk-tests polos did not finish in 9 minutes";
  EXPECT_EQ(status, 0) << sdk.log();
  std::fprintf(stderr, "%s", sdk.log().c_str());  // each SDK test's PASS/FAIL line, in ctest's output
}

}  // namespace
}  // namespace batchrun::testing
