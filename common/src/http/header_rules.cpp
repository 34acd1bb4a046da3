#include "batchrun/common/http/header_rules.hpp"

#include <array>

namespace batchrun {

namespace {

constexpr std::string_view kTcharSymbols = "!#$%&'*+-.^_`|~";

bool isTchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kTcharSymbols.find(static_cast<char>(c)) != std::string_view::npos;
}

char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lower_b[i]) return false;
  }
  return true;
}

bool startsWithNoCase(std::string_view a, std::string_view lower_prefix) {
  return a.size() >= lower_prefix.size() && equalsNoCase(a.substr(0, lower_prefix.size()), lower_prefix);
}

// Lower case; compared with equalsNoCase.
constexpr std::array<std::string_view, 11> kReserved = {
    "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
    "trailer",        "host",              "expect",     "content-type", "traceparent"};
constexpr std::array<std::string_view, 2> kReservedPrefixes = {"proxy-", "batchrun-"};

}  // namespace

bool isHeaderToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isTchar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool isSafeHeaderValue(std::string_view value) {
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool isReservedHeader(std::string_view name) {
  for (auto r : kReserved) {
    if (equalsNoCase(name, r)) return true;
  }
  for (auto p : kReservedPrefixes) {
    if (startsWithNoCase(name, p)) return true;
  }
  return false;
}

std::optional<std::string> forwardedHeaderProblem(std::string_view name, std::string_view value) {
  if (!isHeaderToken(name)) {
    return "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  }
  if (isReservedHeader(name)) {
    return "is set by batchrun or frames the request and cannot be forwarded";
  }
  if (!isSafeHeaderValue(value)) {
    return "must not contain CR, LF, NUL or other control characters";
  }
  return std::nullopt;
}

}  // namespace batchrun
