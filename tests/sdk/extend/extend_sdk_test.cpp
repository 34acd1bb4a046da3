// The official Extend Python SDK against the running system (issue 27): CompatSystem starts
// ingest, dispatcher and demo worker on the test broker (workflow wf_1234567890 of proj-a echoes
// its input), and scripts/sdk-tests runs tests/sdk/extend/test_extend_sdk.py — batch create,
// retrieve, list by batch, cancel, errors through extend-ai 1.20.0 — in its pinned venv.
#include "../sdk_suite.hpp"

namespace batchrun::testing {
namespace {

TEST(ExtendSdk, OfficialPythonSdkPassesAgainstIngest) {
  runSdkSuite("extend", {{"BATCHRUN_SDK_EXTEND_WORKFLOW", "wf_1234567890"}});
}

}  // namespace
}  // namespace batchrun::testing
