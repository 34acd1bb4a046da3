#pragma once
// Waiting for a condition with a deadline — the only way tests synchronise (no fixed sleeps).
#include <chrono>
#include <functional>
#include <thread>

namespace batchrun::testing {

inline bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds deadline,
                    std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(every);  // polling interval, not a synchronisation point
  }
}

}  // namespace batchrun::testing
