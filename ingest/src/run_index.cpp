#include "batchrun/ingest/run_index.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun::ingest {

namespace {

// The position of `name` in `names`, appended if new: a request names one or a few of each.
uint32_t slotOf(std::vector<std::string_view>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<uint32_t>(i);
  }
  names.push_back(name);
  return static_cast<uint32_t>(names.size() - 1);
}

void appendNames(std::string& out, const char* key, const std::vector<std::string_view>& names) {
  json::appendKey(out, key);
  out += '[';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    json::appendString(out, names[i]);
  }
  out += ']';
}

bool uint32At(const rapidjson::Value& v, uint32_t limit, uint32_t& out) {
  if (!v.IsUint() || v.GetUint() >= limit) return false;
  out = v.GetUint();
  return true;
}

bool namesOf(const rapidjson::Value& doc, const char* key, std::vector<std::string_view>& out) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsArray()) return false;
  out.reserve(it->value.Size());
  for (const auto& n : it->value.GetArray()) {
    if (!n.IsString()) return false;
    out.emplace_back(n.GetString(), n.GetStringLength());
  }
  return true;
}

}  // namespace

std::optional<OutMessage> runIndexMessage(const Topics& topics, std::string_view instance, const std::vector<Run>& runs,
                                          const std::vector<int32_t>& partitions, const std::vector<int64_t>& offsets) {
  const Run* first = nullptr;
  std::vector<std::string_view> workflows, lanes;
  std::string body;
  body.reserve(64 + runs.size() * 64);
  for (size_t i = 0; i < runs.size() && i < partitions.size() && i < offsets.size(); ++i) {
    if (partitions[i] < 0) continue;
    const Run& r = runs[i];
    if (!first) first = &r;
    body += body.empty() ? "[\"" : ",[\"";
    body += r.run_id;  // a UUID: nothing to escape
    body += "\",";
    json::appendInt(body, slotOf(workflows, r.workflow_id));
    body += ',';
    json::appendInt(body, slotOf(lanes, r.lane));
    body += ',';
    json::appendInt(body, partitions[i]);
    body += ',';
    json::appendInt(body, offsets[i]);
    body += ']';
  }
  if (!first) return std::nullopt;
  OutMessage m;
  m.topic = topics.run_index;
  m.key = first->batch_id.empty() ? first->run_id : first->batch_id;
  std::string& v = m.value;
  v.reserve(body.size() + 256);
  v += '{';
  json::appendKey(v, "project");
  json::appendString(v, first->project);
  v += ',';
  json::appendKey(v, "batch_id");
  json::appendString(v, first->batch_id);
  v += ',';
  json::appendKey(v, "created_at");
  json::appendInt(v, first->created_at);
  v += ',';
  json::appendKey(v, "batch_size");
  json::appendInt(v, first->batch_size);
  v += ',';
  appendNames(v, "workflows", workflows);
  v += ',';
  appendNames(v, "lanes", lanes);
  v += ",\"runs\":[";
  v += body;
  v += "]}";
  m.headers.emplace_back(kInstanceHeader, std::string(instance));
  return m;
}

bool decodeRunIndex(std::string& buffer, RunIndex& out) {
  buffer.reserve(buffer.size() + 16);  // RapidJSON's SIMD scan reads whole aligned 16-byte blocks
  rapidjson::Document d;
  d.ParseInsitu(buffer.data());
  if (d.HasParseError() || !d.IsObject()) return false;
  out.project = json::getStringView(d, "project");
  out.batch_id = json::getStringView(d, "batch_id");
  if (out.project.empty() || !json::getInt(d, "created_at", out.created_at) ||
      !json::getInt(d, "batch_size", out.batch_size)) {
    return false;
  }
  if (!namesOf(d, "workflows", out.workflows) || !namesOf(d, "lanes", out.lanes)) return false;
  auto runs = d.FindMember("runs");
  if (runs == d.MemberEnd() || !runs->value.IsArray()) return false;
  const auto workflows = static_cast<uint32_t>(out.workflows.size()), lanes = static_cast<uint32_t>(out.lanes.size());
  out.runs.reserve(runs->value.Size());
  for (const auto& r : runs->value.GetArray()) {
    if (!r.IsArray() || r.Size() != 5 || !r[0].IsString() || !r[3].IsInt() || !r[4].IsInt64()) return false;
    RunIndexEntry e;
    e.run_id = std::string_view(r[0].GetString(), r[0].GetStringLength());
    e.partition = r[3].GetInt();
    e.offset = r[4].GetInt64();
    if (!uint32At(r[1], workflows, e.workflow) || !uint32At(r[2], lanes, e.lane) || e.partition < 0 || e.offset < 0) {
      return false;
    }
    out.runs.push_back(e);
  }
  return true;
}

}  // namespace batchrun::ingest
