#include "batchrun/common/records/handover_marker.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun {

OutMessage handoverMarker(const std::string& state_topic, int32_t partition, int64_t upto, int64_t now_ms) {
  OutMessage m;
  m.topic = state_topic;
  m.partition = partition;
  m.key = kHandoverKey;
  m.value = R"({"handover":true,"partition":)" + std::to_string(partition) + R"(,"upto":)" + std::to_string(upto) +
            R"(,"at":)" + std::to_string(now_ms) + "}";
  m.headers.emplace_back(kRecordKindHeader, kHandoverKind);
  return m;
}

bool isHandoverMarker(const Message& m) {
  // The key first: a run id never equals it, so a run's record costs no header lookup.
  if (m.key() != kHandoverKey) return false;
  auto kind = m.header(kRecordKindHeader);
  return kind && *kind == kHandoverKind;
}

int64_t handoverUpto(std::string_view value) {
  rapidjson::Document d;
  int64_t upto = -1;
  if (!json::parseRecord(d, value) || !d.IsObject() || !json::getInt(d, "upto", upto)) return -1;
  return upto;
}

}  // namespace batchrun
