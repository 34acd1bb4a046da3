#pragma once
// When to try a failed attempt again: exponential backoff from `base_ms`, capped at `max_ms`,
// with ±`jitter` spread so runs that failed together do not come back together. Pure.
#include <cstdint>

namespace batchrun::dispatcher {

struct RetryPolicy {
  int64_t base_ms = 1000;
  int64_t max_ms = 300000;
  double jitter = 0.2;

  // Delay before attempt `failed_attempt + 1`; `unit` is a random number in [0, 1).
  int64_t delayMs(int failed_attempt, double unit) const;
};

}  // namespace batchrun::dispatcher
