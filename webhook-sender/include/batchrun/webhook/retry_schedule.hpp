#pragma once
// When the next attempt of a failed delivery is due: the configured schedule with ± jitter, never
// earlier than the receiver's Retry-After. Also classifies responses (what counts as success, what
// slows an endpoint down). Thread-safe (the random source is per-thread).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace batchrun::webhook {

class RetrySchedule {
 public:
  RetrySchedule(std::vector<int64_t> delays_ms, int jitter_percent);
  int maxAttempts() const { return static_cast<int>(delays_ms_.size()); }
  // Delay before attempt `attempt` (2..maxAttempts()), jittered; nullopt past the last attempt.
  std::optional<int64_t> delayBefore(int attempt) const;
  // The same without jitter (for tests and docs).
  int64_t nominalDelayBefore(int attempt) const;

 private:
  std::vector<int64_t> delays_ms_;
  int jitter_percent_;
};

inline bool isSuccess(long status) { return status >= 200 && status < 300; }
// 429, 502, 503, 504: the receiver is overloaded or restarting; back off from the whole endpoint.
inline bool isSlowDown(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

// Retry-After as delta-seconds or an HTTP-date, in ms from now_ms; nullopt when absent/unparseable.
std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t now_ms);

}  // namespace batchrun::webhook
