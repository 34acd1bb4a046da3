#include "batchrun/webhook/retry_schedule.hpp"

#include <charconv>
#include <ctime>
#include <random>
#include <string>

namespace batchrun::webhook {

RetrySchedule::RetrySchedule(std::vector<int64_t> delays_ms, int jitter_percent)
    : delays_ms_(std::move(delays_ms)), jitter_percent_(jitter_percent) {
  if (delays_ms_.empty()) delays_ms_.push_back(0);
}

int64_t RetrySchedule::nominalDelayBefore(int attempt) const {
  if (attempt < 1 || attempt > maxAttempts()) return 0;
  return delays_ms_[static_cast<size_t>(attempt - 1)];
}

std::optional<int64_t> RetrySchedule::delayBefore(int attempt) const {
  if (attempt > maxAttempts()) return std::nullopt;
  int64_t base = nominalDelayBefore(attempt);
  if (base <= 0 || jitter_percent_ <= 0) return base;
  // Jitter spreads the retries of many deliveries that failed together (an endpoint outage).
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> factor(1.0 - jitter_percent_ / 100.0, 1.0 + jitter_percent_ / 100.0);
  return static_cast<int64_t>(static_cast<double>(base) * factor(rng));
}

std::optional<int64_t> parseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return seconds * 1000;
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  std::string text(value);
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!parsed || *parsed != '\0') return std::nullopt;
  int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return at_ms > now_ms ? at_ms - now_ms : 0;
}

}  // namespace batchrun::webhook
