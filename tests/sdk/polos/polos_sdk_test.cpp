// The official Polos Python SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker (workflow process_data of proj-a echoes
// its input), and scripts/sdk-tests runs tests/sdk/polos/test_polos_sdk.py — batch_invoke,
// invoke, run until done, get_execution, cancel, errors through polos-sdk 0.1.15 — in its pinned venv.
#include "../sdk_suite.hpp"

namespace batchrun::testing {
namespace {

TEST(PolosSdk, OfficialPythonSdkPassesAgainstIngest) {
  runSdkSuite("polos", {{"BATCHRUN_SDK_POLOS_PROJECT", kCompatProject}, {"BATCHRUN_SDK_POLOS_WORKFLOW", "process_data"}});
}

}  // namespace
}  // namespace batchrun::testing
