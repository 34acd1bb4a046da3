// The official Extend Python SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker (workflow wf_1234567890 of proj-a echoes
// its input), and scripts/sdk-tests runs tests/sdk/extend/test_extend_sdk.py — batch create,
// retrieve, list by batch, cancel, errors through extend-ai 1.20.0 — in its pinned venv.
#include <gtest/gtest.h>

#include <chrono>

#include "../../integration/compat/compat_system.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

TEST(ExtendSdk, OfficialPythonSdkPassesAgainstIngest) {
  auto& sys = CompatSystem::get();
  ChildProcess sdk("/bin/bash", {{"BATCHRUN_SDK_URL", sys.url("")},
                                  {"BATCHRUN_SDK_API_KEY", kCompatKey},
                                  {"BATCHRUN_SDK_EXTEND_WORKFLOW", "wf_1234567890"}},
                   {sourceDir() + "/scripts/sdk-tests", "extend"});
  // The first run creates the venv and installs the pins (network); later runs reuse it.
  const bool ended = waitFor([&] { return !sdk.running(); }, std::chrono::seconds(540), std::chrono::milliseconds(200));
  const int status = ended ? sdk.stop() : sdk.stop(9);
  EXPECT_TRUE(ended) << "scripts/sdk-tests extend did not finish in 9 minutes";
  EXPECT_EQ(status, 0) << sdk.log();
  std::fprintf(stderr, "%s", sdk.log().c_str());  // each SDK test's PASS/FAIL line, in ctest's output
}

}  // namespace
}  // namespace batchrun::testing
