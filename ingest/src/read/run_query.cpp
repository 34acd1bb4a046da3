#include "batchrun/ingest/read/run_query.hpp"

#include <charconv>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"

namespace batchrun::ingest {

namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Accepts RFC 3339 or unix milliseconds.
std::optional<int64_t> parseTime(std::string_view s) {
  int64_t ms = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec == std::errc() && end == s.data() + s.size() && ms >= 0) return ms;
  return parseRfc3339(s);
}

}  // namespace

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hexDigit(s[i + 1]) >= 0 && hexDigit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexDigit(s[i + 1]) * 16 + hexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string encodeCursor(std::string_view run_id) {
  std::string b = base64Encode(run_id);
  while (!b.empty() && b.back() == '=') b.pop_back();
  for (auto& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return b;
}

bool decodeCursor(std::string_view cursor, std::string& run_id) {
  std::string b(cursor);
  for (auto& c : b) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (b.size() % 4) b.push_back('=');
  Uuid ignored;
  return base64Decode(b, run_id) && parseUuid(run_id, ignored);
}

ParsedQuery parseRunQuery(const std::map<std::string, std::string>& params) {
  ParsedQuery out;
  auto bad = [&](const std::string& name, std::string message) {
    out.errors.push_back({-1, name, std::move(message)});
  };
  for (const auto& [raw_name, raw_value] : params) {
    const std::string& name = raw_name;
    std::string value = percentDecode(raw_value);
    if (name == "batch_id") {
      Uuid u;
      if (!parseUuid(value, u)) bad(name, "must be a batch id (UUID)");
      out.query.batch_id = canonicalBatchId(std::move(value));
    } else if (name == "status") {
      auto s = parseRunStatus(value);
      if (!s) bad(name, "must be one of queued, running, retrying, completed, failed, cancelled, timed_out");
      out.query.status = s;
    } else if (name == "workflow_id") {
      if (value.empty()) bad(name, "must not be empty");
      out.query.workflow_id = value;
    } else if (name == "created_after" || name == "created_before") {
      auto t = parseTime(value);
      if (!t) {
        bad(name, "must be an RFC 3339 time (2026-01-31T12:00:00Z) or unix milliseconds");
      } else if (name == "created_after") {
        out.query.created_after = *t;
      } else {
        out.query.created_before = *t;
      }
    } else if (name == "limit") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > kMaxPageSize) {
        bad(name, "must be an integer 1.." + std::to_string(kMaxPageSize));
      } else {
        out.query.limit = n;
      }
    } else if (name == "cursor") {
      if (!decodeCursor(value, out.query.after_run_id)) bad(name, "is not a cursor returned by this API");
    } else {
      bad(name, "unknown query parameter");
    }
  }
  return out;
}

}  // namespace batchrun::ingest
