// The runs.control codec (common/src/records/control.cpp): cancellations and async results, read
// by the dispatcher that owns the run.
#include "batchrun/common/records/control.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::noThrow("decodeControl", [&] { (void)fuzz::checkRoundTrip(fuzz::text(data, size), decodeControl, encodeControl); });
  return 0;
}
