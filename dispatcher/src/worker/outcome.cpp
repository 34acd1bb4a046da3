#include "batchrun/dispatcher/worker/outcome.hpp"

#include <rapidjson/document.h>

#include <optional>

#include "batchrun/common/json.hpp"

namespace batchrun::dispatcher {

std::optional<std::string> bodyAsJson(const std::string& body, std::string* problem) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return "null";
  rapidjson::Document d;
  const json::ParseStatus st = json::parse(d, body);
  if (st) return json::stringify(d);  // compact, and certainly one value
  if (st.kind != json::ParseStatus::Kind::kSyntax) {
    // Too deep to write back without deep recursion, or not UTF-8 (no JSON client could read
    // the run again): not an output batchrun can keep.
    if (problem) *problem = "the worker's answer " + st.message();
    return std::nullopt;
  }
  std::string out;  // not JSON (but UTF-8): kept as a string
  json::appendString(out, body);
  return out;
}

namespace {
// A short excerpt of the worker's answer for error_message (bodies can be large), as valid UTF-8:
// the message is written into records and events that JSON clients must be able to read.
std::string excerpt(const std::string& body) {
  return json::toValidUtf8(body, 512) + (body.size() > 512 ? "…" : "");
}
}  // namespace

Outcome classify(const HttpResult& r) {
  Outcome o;
  if (r.blocked) {
    o.kind = Outcome::Kind::kFailed;
    o.error_code = "destination_not_allowed";
    o.error_message = r.error;
    return o;
  }
  if (r.status == 0) {
    o.kind = Outcome::Kind::kRetry;
    o.timed_out = r.timed_out;
    o.error_code = r.timed_out ? "timeout" : "connection_error";
    o.error_message = r.error;
    return o;
  }
  if (r.status == 202) {
    o.kind = Outcome::Kind::kAccepted;
    return o;
  }
  if (r.status >= 200 && r.status < 300) {
    std::string problem;
    if (auto output = bodyAsJson(r.body, &problem)) {
      o.kind = Outcome::Kind::kCompleted;
      o.output = std::move(*output);
    } else {
      // Not retried: the same worker would most likely answer the same again.
      o.kind = Outcome::Kind::kFailed;
      o.error_code = "invalid_output";
      o.error_message = std::move(problem);
    }
    return o;
  }
  o.error_code = "http_" + std::to_string(r.status);
  o.error_message = excerpt(r.body);
  bool transient = r.status == 408 || r.status == 429 || r.status >= 500;
  o.kind = transient ? Outcome::Kind::kRetry : Outcome::Kind::kFailed;
  return o;
}

}  // namespace batchrun::dispatcher
