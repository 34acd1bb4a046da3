#pragma once
// Small RapidJSON helpers shared by the codecs: raw-text extraction of a sub-value and appending
// JSON tokens to a std::string without an intermediate DOM.
#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace batchrun::json {

// The compact JSON text of a value.
std::string stringify(const rapidjson::Value& v);

void appendString(std::string& out, std::string_view s);  // with quotes and escapes
void appendKey(std::string& out, std::string_view key);   // "key":
inline void appendInt(std::string& out, int64_t v) { out += std::to_string(v); }

// Typed lookups; false when absent or of another type.
bool getString(const rapidjson::Value& obj, const char* name, std::string& out);
// The string member without copying it (valid while the document lives); empty when absent.
std::string_view getStringView(const rapidjson::Value& obj, const char* name);
bool getInt(const rapidjson::Value& obj, const char* name, int64_t& out);

}  // namespace batchrun::json
