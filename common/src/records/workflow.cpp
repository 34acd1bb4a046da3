#include "batchrun/common/records/workflow.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun {

std::string encodeWorkflow(const Workflow& w) {
  std::string out = "{";
  auto str = [&](const char* k, const std::string& v) {
    json::appendKey(out, k);
    json::appendString(out, v);
    out += ',';
  };
  auto num = [&](const char* k, int64_t v) {
    json::appendKey(out, k);
    json::appendInt(out, v);
    out += ',';
  };
  str("project", w.project);
  str("workflow_id", w.workflow_id);
  str("endpoint", w.endpoint);
  num("concurrency_limit", w.concurrency_limit);
  json::appendKey(out, "queues");
  out += '{';
  bool first = true;
  for (const auto& [name, limit] : w.queues) {
    if (!first) out += ',';
    first = false;
    json::appendKey(out, name);
    json::appendInt(out, limit);
  }
  out += "},";
  num("timeout_seconds", w.timeout_seconds);
  num("max_attempts", w.max_attempts);
  num("created_at", w.created_at);
  num("updated_at", w.updated_at);
  out.back() = '}';
  return out;
}

Result<Workflow> decodeWorkflow(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("workflow record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("workflow record is not a JSON object");
  Workflow w;
  int64_t n = 0;
  if (!json::getString(d, "project", w.project) || !json::getString(d, "workflow_id", w.workflow_id)) {
    return Error::invalid("workflow record without project/workflow_id");
  }
  json::getString(d, "endpoint", w.endpoint);
  if (json::getInt(d, "concurrency_limit", n)) w.concurrency_limit = static_cast<int>(n);
  if (auto it = d.FindMember("queues"); it != d.MemberEnd() && it->value.IsObject()) {
    for (auto q = it->value.MemberBegin(); q != it->value.MemberEnd(); ++q) {
      // With its length: a queue name holding an escaped NUL ("a\u0000b") is not cut short there.
      std::string name(q->name.GetString(), q->name.GetStringLength());
      if (q->value.IsInt()) w.queues[std::move(name)] = q->value.GetInt();
    }
  }
  if (json::getInt(d, "timeout_seconds", n)) w.timeout_seconds = static_cast<int>(n);
  if (json::getInt(d, "max_attempts", n)) w.max_attempts = static_cast<int>(n);
  json::getInt(d, "created_at", w.created_at);
  json::getInt(d, "updated_at", w.updated_at);
  return w;
}

}  // namespace batchrun
