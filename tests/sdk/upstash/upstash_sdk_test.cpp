// The official Upstash Workflow SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker, and scripts/sdk-tests runs
// tests/sdk/upstash/test_upstash_sdk.js — client.trigger (a batch and one run), the runs read back
// through /v1, the failure callback, client.cancel, and the errors — with @upstash/workflow 1.3.3
// installed from package-lock.json under .state/sdk/upstash/.
#include <gtest/gtest.h>

#include <chrono>

#include "../../integration/compat/compat_system.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {
namespace {

TEST(UpstashSdk, OfficialNodeSdkPassesAgainstIngest) {
  auto& sys = CompatSystem::get();
  ChildProcess sdk("/bin/bash", {{"BATCHRUN_SDK_URL", sys.url("")},
                                  {"BATCHRUN_SDK_API_KEY", kCompatKey},
                                  {"BATCHRUN_SDK_PROJECT", kCompatProject},
                                  {"BATCHRUN_SDK_UPSTASH_WORKER", sys.worker().url("")}},
                   {sourceDir() + "/scripts/sdk-tests", "upstash"});
  // The first run installs the lock with npm ci (network); later runs reuse it.
  const bool ended = waitFor([&] { return !sdk.running(); }, std::chrono::seconds(540), std::chrono::milliseconds(200));
  const int status = ended ? sdk.stop() : sdk.stop(9);
  EXPECT_TRUE(ended) << "scripts/sdk-tests upstash did not finish in 9 minutes";
  EXPECT_EQ(status, 0) << sdk.log();
  std::fprintf(stderr, "%s", sdk.log().c_str());  // each SDK test's PASS/FAIL line, in ctest's output
}

}  // namespace
}  // namespace batchrun::testing
