// The `workflows` topic codec (common/src/records/workflow.cpp), read by every ingest's workflow
// view and by the dispatcher's registry.
#include "batchrun/common/records/workflow.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::noThrow("decodeWorkflow", [&] {
    auto w = fuzz::checkRoundTrip(fuzz::text(data, size), decodeWorkflow, encodeWorkflow);
    if (w) (void)w->key();
  });
  return 0;
}
