#include "batchrun/common/records/control.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun {

std::string encodeControl(const ControlMessage& m) {
  std::string out = "{\"type\":";
  json::appendString(out, m.type == ControlMessage::Type::kCancel ? "cancel" : "result");
  out += ",\"run_id\":";
  json::appendString(out, m.run_id);
  out += ",\"project\":";
  json::appendString(out, m.project);
  if (m.type == ControlMessage::Type::kResult) {
    out += ",\"status\":";
    json::appendString(out, m.success ? "completed" : "failed");
    if (!m.output.empty()) out += ",\"output\":" + m.output;
    if (!m.error_code.empty()) {
      out += ",\"error_code\":";
      json::appendString(out, m.error_code);
      out += ",\"error_message\":";
      json::appendString(out, m.error_message);
    }
    out += ",\"attempt\":" + std::to_string(m.attempt);
  }
  out += ",\"requested_at\":" + std::to_string(m.requested_at) + "}";
  return out;
}

Result<ControlMessage> decodeControl(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("control record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("control record is not a JSON object");
  ControlMessage m;
  std::string type, status;
  if (!json::getString(d, "type", type) || !json::getString(d, "run_id", m.run_id)) {
    return Error::invalid("control record without type/run_id");
  }
  if (type == "cancel") {
    m.type = ControlMessage::Type::kCancel;
  } else if (type == "result") {
    m.type = ControlMessage::Type::kResult;
  } else {
    return Error::invalid("control record of unknown type " + type);
  }
  json::getString(d, "project", m.project);
  if (json::getString(d, "status", status)) m.success = status == "completed";
  if (auto it = d.FindMember("output"); it != d.MemberEnd()) m.output = json::stringify(it->value);
  json::getString(d, "error_code", m.error_code);
  json::getString(d, "error_message", m.error_message);
  int64_t n = 0;
  if (json::getInt(d, "attempt", n)) m.attempt = static_cast<int>(n);
  json::getInt(d, "requested_at", m.requested_at);
  return m;
}

}  // namespace batchrun
