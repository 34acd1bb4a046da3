#include "batchrun/dispatcher/worker/outcome.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun::dispatcher {

std::string bodyAsJson(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return "null";
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (!d.HasParseError()) return json::stringify(d);  // compact, and certainly one value
  std::string out;
  json::appendString(out, body);
  return out;
}

namespace {
// A short excerpt of the worker's answer for error_message (bodies can be large).
std::string excerpt(const std::string& body) { return body.size() > 512 ? body.substr(0, 512) + "…" : body; }
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
    o.kind = Outcome::Kind::kCompleted;
    o.output = bodyAsJson(r.body);
    return o;
  }
  o.error_code = "http_" + std::to_string(r.status);
  o.error_message = excerpt(r.body);
  bool transient = r.status == 408 || r.status == 429 || r.status >= 500;
  o.kind = transient ? Outcome::Kind::kRetry : Outcome::Kind::kFailed;
  return o;
}

}  // namespace batchrun::dispatcher
