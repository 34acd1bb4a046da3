#include "batchrun/webhook/failure_clock.hpp"

#include <algorithm>

namespace batchrun::webhook {

bool FailureClock::observeEnabledAt(int64_t enabled_at) {
  if (enabled_at <= enabled_at_) return false;
  enabled_at_ = enabled_at;
  since_ = 0;
  return true;
}

void FailureClock::carry(int64_t failing_since) {
  if (failing_since <= 0 || failing_since < enabled_at_) return;
  if (!since_ || failing_since < since_) since_ = failing_since;
}

int64_t FailureClock::fail(int64_t now_ms) {
  if (!since_) since_ = std::max(now_ms, enabled_at_);
  return since_;
}

}  // namespace batchrun::webhook
