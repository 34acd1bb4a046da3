#include "batchrun/dispatcher/worker/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace batchrun::dispatcher {

int64_t RetryPolicy::delayMs(int failed_attempt, double unit) const {
  int exp = std::clamp(failed_attempt - 1, 0, 40);
  double d = std::min(static_cast<double>(max_ms), static_cast<double>(base_ms) * std::ldexp(1.0, exp));
  d *= 1.0 + jitter * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
  return std::max<int64_t>(0, static_cast<int64_t>(std::llround(d)));
}

}  // namespace batchrun::dispatcher
