#pragma once
// Time as an injectable dependency: retry and timeout logic takes a Clock& so tests can drive it.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace batchrun {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix epoch milliseconds (wall clock: persisted in records and compared across processes).
  virtual int64_t nowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override;
  static SystemClock& instance();
};

// A clock tests advance by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t nowMs() const override { return now_.load(); }
  void advance(int64_t ms) { now_ += ms; }
  void set(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 in UTC with milliseconds: 2026-11-24T20:15:12.345Z
std::string formatRfc3339(int64_t unix_ms);
// Accepts RFC 3339 with 'Z' or an offset, optional fraction. nullopt on anything else.
std::optional<int64_t> parseRfc3339(std::string_view s);

}  // namespace batchrun
