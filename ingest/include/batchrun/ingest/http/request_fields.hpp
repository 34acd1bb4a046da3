#pragma once
// Field checks shared by the strict request parsers: each check either fills a typed value or
// appends one FieldError naming the field (and the batch item index). Nothing here throws.
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/json.hpp"
#include "batchrun/ingest/http/http_reply.hpp"

namespace batchrun::ingest {

inline constexpr size_t kMaxNameLength = 255;   // queue, concurrency_key, idempotency keys
inline constexpr size_t kMaxUrlLength = 2048;
inline constexpr int kMaxTimeoutSeconds = 7 * 24 * 3600;  // lane topics keep requests 7 days
inline constexpr int kMaxAttempts = 100;

// Why a worker URL is unacceptable, or nullopt: absolute http(s), a host, no credentials, no
// whitespace. Address ranges are the dispatcher's connect-time check (DESIGN "Security").
std::optional<std::string> urlProblem(std::string_view url);
// Workflow ids appear in paths and in the key "project/workflow_id": 1..128 of [A-Za-z0-9._:-].
std::optional<std::string> workflowIdProblem(std::string_view id);
// An Idempotency-Key header or idempotency_key field: 1..255 printable ASCII characters.
std::optional<std::string> idempotencyKeyProblem(std::string_view key);
// A JSON number as an integer, or nullopt: integers, and numbers written with a zero fraction
// or an exponent (5.0, 5e0), as JSON Schema's "integer" and most JSON stacks take them.
std::optional<int64_t> integralValue(const rapidjson::Value& v);
// A path parameter as the client meant it: %XX escapes decoded (clients that encode every
// reserved character send the workflow id "a:b" as "a%3Ab"); '+' stays '+' in a path.
std::string decodePathParam(std::string_view raw);
// Characters (code points) of valid UTF-8 text: the unit of every "1..N characters" limit, as
// the OpenAPI document's maxLength counts them.
size_t characterCount(std::string_view utf8);

// Collects the problems of one request. `index` is the batch item (-1 for top-level fields).
class FieldErrors {
 public:
  void add(int index, std::string field, std::string message);
  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  std::vector<FieldError> take() { return std::move(errors_); }
  const std::vector<FieldError>& all() const { return errors_; }

  // Typed reads of an optional member `v` named `field`; false (and an error) when of another kind.
  // Callers treat an optional member that is null as absent before calling these.
  bool integer(int index, const std::string& field, const rapidjson::Value& v, int min, int max, int& out);
  bool name(int index, const std::string& field, const rapidjson::Value& v, std::string& out);
  bool url(int index, const std::string& field, const rapidjson::Value& v, std::string& out);
  bool workflowId(int index, const std::string& field, const rapidjson::Value& v, std::string& out);

 private:
  std::vector<FieldError> errors_;
};

// The error for a body json::parse refused. A syntax error is the body's (field ""); a value
// nested too deep or not UTF-8 is named by where it is: "runs[3].input" with index 3 when it is in
// an element of the top-level array `items`, else the top-level member ("metadata"), else "".
FieldError jsonBodyError(std::string_view body, const json::ParseStatus& status, std::string_view items = "runs");

// Parses `body` as one JSON object into `doc` with the bounded parse (json::parse: iterative,
// UTF-8 validated, at most json::maxDepth() levels); on failure adds the reason and returns false.
// `items` names the body's array of batch items, for the index of a too-deep or non-UTF-8 value.
bool parseObject(std::string_view body, rapidjson::Document& doc, FieldErrors& errors, std::string_view items = "runs");
// The same for large bodies, ~10x faster: parses a copy in place (`buffer` must outlive `doc`,
// whose strings point into it) with RapidJSON's SIMD scanning. A body with a NUL byte is refused.
bool parseObjectInPlace(std::string_view body, std::string& buffer, rapidjson::Document& doc, FieldErrors& errors,
                        std::string_view items = "runs");

}  // namespace batchrun::ingest
