#include "batchrun/common/json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "batchrun/common/logging.hpp"

namespace batchrun::json {

std::string stringify(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void appendString(std::string& out, std::string_view s) {
  out.push_back('"');
  log::appendJsonEscaped(out, s);
  out.push_back('"');
}

void appendKey(std::string& out, std::string_view key) {
  appendString(out, key);
  out.push_back(':');
}

bool getString(const rapidjson::Value& obj, const char* name, std::string& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

std::string_view getStringView(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool getInt(const rapidjson::Value& obj, const char* name, int64_t& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return false;
  out = it->value.GetInt64();
  return true;
}

}  // namespace batchrun::json
