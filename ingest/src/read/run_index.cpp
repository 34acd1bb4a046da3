#include "batchrun/ingest/read/run_index.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun::ingest {

namespace {

// The position of `name` in `names` (views or owned strings), appended if new: a request names one
// or a few of each.
template <typename Name>
uint32_t slotOf(std::vector<Name>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<uint32_t>(i);
  }
  names.emplace_back(name);
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

// The text of the id after `id` in uuidv7Next's sequence (uuidPlus: its low 64 bits, the last 16
// hex digits, plus one, wrapping as uuidPlus does), in place: an odometer, so checking a request's
// ids costs a compare each instead of formatting each of up to 1,000 ids on an HTTP thread.
void nextIdText(std::string& id) {
  for (size_t i = 35; i >= 19; --i) {
    if (i == 23) continue;  // the dash between the last two groups
    char& c = id[i];
    if (c == '9') {
      c = 'a';
      return;
    }
    if (c != 'f') {
      ++c;
      return;
    }
    c = '0';
  }
}

// Whether the ids are first, first + 1, … as uuidv7Next counts (a request without idempotency keys
// takes such a range, run_ids.cpp), each written as batchrun writes ids.
bool idsConsecutive(const RunIndex& index) {
  Uuid first;
  if (index.runs.size() < 2 || !parseUuid(index.runs[0].run_id, first)) return false;
  std::string expected = formatUuid(first);
  if (index.runs[0].run_id != expected) return false;
  for (size_t i = 1; i < index.runs.size(); ++i) {
    nextIdText(expected);
    if (index.runs[i].run_id != expected) return false;
  }
  return true;
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

AcceptedRequest::AcceptedRequest(const std::vector<Run>& runs) {
  index_.runs.resize(runs.size());
  size_t id_bytes = 0;
  for (const Run& r : runs) id_bytes += r.run_id.size();
  ids_.reserve(id_bytes);
  // A request names one or a few workflows and lanes: the previous run's are checked first.
  uint32_t workflow = 0, lane = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    ids_ += r.run_id;
    if (workflows_.empty() || workflows_[workflow] != r.workflow_id) workflow = slotOf(workflows_, r.workflow_id);
    if (lanes_.empty() || lanes_[lane] != r.lane) lane = slotOf(lanes_, r.lane);
    index_.runs[i].workflow = workflow;
    index_.runs[i].lane = lane;
  }
  // The views are taken once the strings stop growing.
  size_t at = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    index_.runs[i].run_id = std::string_view(ids_).substr(at, runs[i].run_id.size());
    at += runs[i].run_id.size();
  }
  if (!runs.empty()) {
    project_ = runs.front().project;
    batch_id_ = runs.front().batch_id;
    index_.created_at = runs.front().created_at;
    index_.batch_size = runs.front().batch_size;
  }
  index_.project = project_;
  index_.batch_id = batch_id_;
  index_.workflows.assign(workflows_.begin(), workflows_.end());
  index_.lanes.assign(lanes_.begin(), lanes_.end());
  index_.consecutive_ids = idsConsecutive(index_);
}

AcceptedRequest::AcceptedRequest(const std::vector<Run>& runs, const std::vector<int32_t>& partitions,
                                 const std::vector<int64_t>& offsets)
    : AcceptedRequest(runs) {
  for (size_t i = 0; i < runs.size() && i < partitions.size() && i < offsets.size(); ++i) {
    acknowledged(i, partitions[i], offsets[i]);
  }
}

// In range form the record names only the first id: ≈ 16 instead of ≈ 55 bytes a run before lz4
// (≈ 6 instead of ≈ 10 on the broker's disk), and a restarted view reads the index back in half the
// time (docs/performance.md).
bool isRange(const RunIndex& index) {
  if (!index.consecutive_ids) return false;
  for (const RunIndexEntry& r : index.runs) {
    if (r.partition < 0) return false;
  }
  return true;
}

std::optional<OutMessage> runIndexMessage(const Topics& topics, std::string_view instance, const RunIndex& index) {
  // Only the acknowledged runs are named, so the names are collected afresh.
  std::vector<std::string_view> workflows, lanes;
  std::vector<uint32_t> workflow_slot(index.workflows.size(), UINT32_MAX), lane_slot(index.lanes.size(), UINT32_MAX);
  std::string_view first_run;
  const bool range = isRange(index);
  std::string body;
  body.reserve(64 + index.runs.size() * (range ? 24 : 64));
  for (const RunIndexEntry& r : index.runs) {
    if (r.partition < 0) continue;
    if (first_run.empty()) first_run = r.run_id;
    if (workflow_slot[r.workflow] == UINT32_MAX) workflow_slot[r.workflow] = slotOf(workflows, index.workflows[r.workflow]);
    if (lane_slot[r.lane] == UINT32_MAX) lane_slot[r.lane] = slotOf(lanes, index.lanes[r.lane]);
    body += body.empty() ? "[" : ",[";
    if (!range) {
      body += '"';
      body += r.run_id;  // a UUID: nothing to escape
      body += "\",";
    }
    json::appendInt(body, workflow_slot[r.workflow]);
    body += ',';
    json::appendInt(body, lane_slot[r.lane]);
    body += ',';
    json::appendInt(body, r.partition);
    body += ',';
    json::appendInt(body, r.offset);
    body += ']';
  }
  if (first_run.empty()) return std::nullopt;
  OutMessage m;
  m.topic = topics.run_index;
  m.key = std::string(index.batch_id.empty() ? first_run : index.batch_id);
  std::string& v = m.value;
  v.reserve(body.size() + 256);
  v += '{';
  json::appendKey(v, "project");
  json::appendString(v, index.project);
  v += ',';
  json::appendKey(v, "batch_id");
  json::appendString(v, index.batch_id);
  v += ',';
  json::appendKey(v, "created_at");
  json::appendInt(v, index.created_at);
  v += ',';
  json::appendKey(v, "batch_size");
  json::appendInt(v, index.batch_size);
  v += ',';
  appendNames(v, "workflows", workflows);
  v += ',';
  appendNames(v, "lanes", lanes);
  if (range) {
    // "runs" stays, empty: a reader from before the range form decodes the record as naming no run
    // instead of refusing it (its view learns these runs once they start, as docs/operations.md says).
    v += ",\"runs\":[],";
    json::appendKey(v, "first_run_id");
    json::appendString(v, first_run);
    v += ",\"run_positions\":[";
  } else {
    v += ",\"runs\":[";
  }
  v += body;
  v += "]}";
  m.headers.emplace_back(kInstanceHeader, std::string(instance));
  return m;
}

std::optional<OutMessage> runIndexMessage(const Topics& topics, std::string_view instance, const std::vector<Run>& runs,
                                          const std::vector<int32_t>& partitions, const std::vector<int64_t>& offsets) {
  return runIndexMessage(topics, instance, AcceptedRequest(runs, partitions, offsets).index());
}

bool decodeRunIndex(std::string& buffer, RunIndex& out) {
  buffer.reserve(buffer.size() + 16);  // RapidJSON's SIMD scan reads whole aligned 16-byte blocks
  rapidjson::Document d;
  const size_t size = buffer.size();
  rapidjson::InsituStringStream in(buffer.data());
  if (!json::parseStream<rapidjson::kParseInsituFlag>(d, in, size, json::recordMaxDepth()) || !d.IsObject()) {
    return false;
  }
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
  // One entry: [run_id, workflow, lane, partition, offset], or without the id when `id` is given.
  auto entry = [&](const rapidjson::Value& r, std::optional<std::string_view> id) {
    const rapidjson::SizeType at = id ? 0 : 1;
    if (!r.IsArray() || r.Size() != at + 4 || !r[at + 2].IsInt() || !r[at + 3].IsInt64()) return false;
    if (!id && !r[0].IsString()) return false;
    RunIndexEntry e;
    e.run_id = id ? *id : std::string_view(r[0].GetString(), r[0].GetStringLength());
    e.partition = r[at + 2].GetInt();
    e.offset = r[at + 3].GetInt64();
    if (!uint32At(r[at], workflows, e.workflow) || !uint32At(r[at + 1], lanes, e.lane) || e.partition < 0 ||
        e.offset < 0) {
      return false;
    }
    out.runs.push_back(e);
    return true;
  };
  out.runs.reserve(runs->value.Size());
  for (const auto& r : runs->value.GetArray()) {
    if (!entry(r, std::nullopt)) return false;
  }
  // The range form: run i of "run_positions" has first_run_id's id with i added to its low 64 bits.
  auto first = d.FindMember("first_run_id");
  if (first == d.MemberEnd()) return true;
  auto positions = d.FindMember("run_positions");
  if (!first->value.IsString() || positions == d.MemberEnd() || !positions->value.IsArray()) return false;
  out.consecutive_ids = out.runs.empty() && positions->value.Size() >= 2;
  const std::string_view first_id(first->value.GetString(), first->value.GetStringLength());
  Uuid start;
  if (!parseUuid(first_id, start) || formatUuid(start) != first_id) return false;  // as ingest writes it
  out.ids.clear();
  out.ids.reserve(36 * positions->value.Size());  // no reallocation: the entries' views point into it
  out.runs.reserve(out.runs.size() + positions->value.Size());
  uint64_t i = 0;
  for (const auto& r : positions->value.GetArray()) {
    const size_t at = out.ids.size();
    appendUuid(out.ids, uuidPlus(start, i++));
    if (!entry(r, std::string_view(out.ids).substr(at))) return false;
  }
  return true;
}

}  // namespace batchrun::ingest
