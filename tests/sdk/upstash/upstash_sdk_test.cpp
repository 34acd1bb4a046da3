// The official Upstash Workflow SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker, and scripts/sdk-tests runs
// tests/sdk/upstash/test_upstash_sdk.js — client.trigger (a batch and one run), the runs read back
// through /v1, the failure callback, client.cancel, and the errors — with @upstash/workflow 1.3.3
// installed from package-lock.json under .state/sdk/upstash/.
#include "../sdk_suite.hpp"

namespace batchrun::testing {
namespace {

TEST(UpstashSdk, OfficialNodeSdkPassesAgainstIngest) {
  runSdkSuite("upstash", {{"BATCHRUN_SDK_PROJECT", kCompatProject},
                           {"BATCHRUN_SDK_UPSTASH_WORKER", CompatSystem::get().worker().url("")}});
}

}  // namespace
}  // namespace batchrun::testing
