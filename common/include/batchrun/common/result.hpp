#pragma once
// Expected failures as values. An Error carries a stable code, a human message and whether the
// caller may retry (maps to 429/503 at the HTTP edge, to backoff in consumers).
#include <string>
#include <utility>
#include <variant>

namespace batchrun {

enum class ErrorCode {
  kInvalidArgument,   // bad input: never retry unchanged
  kNotFound,
  kConflict,          // e.g. idempotency key reused with another body
  kUnavailable,       // transient: broker down, queue full, timeout — retry later
  kResourceExhausted, // backpressure: retry after a while
  kFailedPrecondition,
  kInternal,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool retryable = false;

  static Error invalid(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m), false}; }
  static Error notFound(std::string m) { return {ErrorCode::kNotFound, std::move(m), false}; }
  static Error conflict(std::string m) { return {ErrorCode::kConflict, std::move(m), false}; }
  static Error unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m), true}; }
  static Error exhausted(std::string m) { return {ErrorCode::kResourceExhausted, std::move(m), true}; }
  static Error internal(std::string m) { return {ErrorCode::kInternal, std::move(m), false}; }
};

const char* toString(ErrorCode code);

// Result<T>: either a T or an Error. Converts to bool (true = has value).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}       // NOLINT: implicit by design
  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  explicit operator bool() const { return ok_; }
  bool ok() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace batchrun
