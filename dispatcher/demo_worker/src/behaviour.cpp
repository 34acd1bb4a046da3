#include "batchrun/demo_worker/behaviour.hpp"

#include <rapidjson/document.h>

#include <algorithm>

#include "batchrun/common/json.hpp"

namespace batchrun::demo_worker {

ParsedInput parseInput(const std::string& body) {
  ParsedInput out;
  if (body.empty()) return out;  // no body: echo null
  rapidjson::Document doc;
  if (!json::parseRecord(doc, body)) {
    out.error = "the run input is not valid JSON";
    return out;
  }
  Behaviour& b = out.behaviour;
  b.input = json::stringify(doc);
  if (!doc.IsObject()) return out;
  if (auto it = doc.FindMember("sleep_ms"); it != doc.MemberEnd() && it->value.IsNumber()) {
    b.sleep_ms = std::clamp<int64_t>(static_cast<int64_t>(it->value.GetDouble()), 0, kMaxSleepMs);
  }
  if (auto it = doc.FindMember("status"); it != doc.MemberEnd() && it->value.IsInt()) {
    int s = it->value.GetInt();
    if (s >= 100 && s <= 599) b.status = s;
  }
  if (auto it = doc.FindMember("fail_times"); it != doc.MemberEnd() && it->value.IsInt64()) {
    b.fail_times = std::max<int64_t>(0, it->value.GetInt64());
  }
  if (auto it = doc.FindMember("async"); it != doc.MemberEnd() && it->value.IsBool()) b.async = it->value.GetBool();
  std::string async_status;
  if (json::getString(doc, "async_status", async_status)) b.async_fail = async_status == "failed";
  json::getString(doc, "concurrency_key", b.concurrency_key);
  return out;
}

Answer decide(const Behaviour& b, int64_t attempt) {
  Answer a;
  if (b.status) {
    a.status = *b.status;
    a.body = *b.status < 300 ? "{\"echo\":" + b.input + "}"
                             : "{\"error\":\"demo worker answers " + std::to_string(*b.status) + " as asked\"}";
    return a;
  }
  if (attempt <= b.fail_times) {
    a.status = 500;
    a.body = "{\"error\":\"demo failure on attempt " + std::to_string(attempt) + " of " +
             std::to_string(b.fail_times) + "\"}";
    return a;
  }
  if (b.async) {
    a.status = 202;
    a.body = "{\"accepted\":true}";
    a.post_result = true;
    return a;
  }
  a.body = "{\"echo\":" + b.input + "}";
  return a;
}

std::string resultBody(const Behaviour& b) {
  if (b.async_fail) {
    return R"({"status":"failed","error":{"code":"demo_failure","message":"the demo worker was asked to fail"}})";
  }
  return "{\"status\":\"completed\",\"output\":{\"echo\":" + b.input + "}}";
}

}  // namespace batchrun::demo_worker
