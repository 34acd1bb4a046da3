#pragma once
// RapidJSON helpers shared by every service: the bounded parse (json_parse.hpp), where a failed
// parse stopped (to name the field), raw-text extraction of a sub-value, and appending JSON tokens
// to a std::string without an intermediate DOM.
#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/json_parse.hpp"

namespace batchrun::json {

// `s` made valid UTF-8 for a message or log (a worker's error body…): each byte that does not begin
// a well-formed sequence becomes U+FFFD. At most the first `max_bytes` of `s` are read, and a
// character the limit would cut is left out.
std::string toValidUtf8(std::string_view s, size_t max_bytes = std::string_view::npos);

// One step of the path from the top of a document to a value: a member name or an array index.
struct PathStep {
  std::string key;  // the member name, when index < 0
  int64_t index = -1;
};
// The steps from the top of `text` to the innermost value open at byte `offset` (where a parse
// failed): e.g. runs, 3, input, 0, 0 for `{"runs":[…,{"input":[[` + the rest. At most `max_steps`
// are returned (those nearest the top); text past `offset` is never read. Iterative, bounded memory.
std::vector<PathStep> pathAt(std::string_view text, size_t offset, size_t max_steps = 16);
// "runs[3].input[0][0]" for the steps above.
std::string formatPath(const std::vector<PathStep>& steps);

// The compact JSON text of a value.
std::string stringify(const rapidjson::Value& v);

// With quotes and escapes; bytes that are not UTF-8 become U+FFFD, so the text written is JSON any
// strict client reads.
void appendString(std::string& out, std::string_view s);
void appendKey(std::string& out, std::string_view key);   // "key":
inline void appendInt(std::string& out, int64_t v) { out += std::to_string(v); }

// Typed lookups; false when absent or of another type.
bool getString(const rapidjson::Value& obj, const char* name, std::string& out);
// The string member without copying it (valid while the document lives); empty when absent.
std::string_view getStringView(const rapidjson::Value& obj, const char* name);
bool getInt(const rapidjson::Value& obj, const char* name, int64_t& out);

}  // namespace batchrun::json
