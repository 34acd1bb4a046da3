// Strict parsers of the two run-submitting endpoints (see run_request.hpp).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <unordered_map>

#include "batchrun/common/json.hpp"
#include "batchrun/common/json_writer.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/write/run_request.hpp"
#include "batchrun/ingest/write/source_text.hpp"

namespace batchrun::ingest {

namespace {

using rapidjson::Value;

// What the top level of a batch gives every item that does not say otherwise.
struct Defaults {
  std::string workflow_id;
  int priority = kBatchDefaultPriority;
  const Value* metadata = nullptr;  // an object, or null
  std::string metadata_text = "{}";
};

std::string itemField(int index, const char* name) {
  if (index < 0) return name;
  return "runs[" + std::to_string(index) + "]." + name;
}

// Top-level metadata merged under an item's own: the item's keys win.
std::string mergeMetadata(const Value& defaults, const Value& item) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (auto m = defaults.MemberBegin(); m != defaults.MemberEnd(); ++m) {
    if (item.HasMember(m->name)) continue;
    w.Key(m->name.GetString(), m->name.GetStringLength());
    m->value.Accept(w);
  }
  for (auto m = item.MemberBegin(); m != item.MemberEnd(); ++m) {
    w.Key(m->name.GetString(), m->name.GetStringLength());
    m->value.Accept(w);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// A JSON value's text for the record: as sent when the body was parsed in place, else re-serialised.
std::string valueText(const InPlaceSource* src, const Value::Member& m) {
  if (src) {
    if (auto text = sourceText(*src, m)) return std::string(*text);
  }
  return json::stringify(m.value);
}

bool isItemField(std::string_view name) {
  for (std::string_view known : {"input", "workflow_id", "metadata", "priority", "idempotency_key", "queue",
                                 "concurrency_key", "timeout_seconds", "max_attempts", "destination"}) {
    if (name == known) return true;
  }
  return false;
}

// Reads one item object. `index` is -1 for the single-run endpoint (fields are then unprefixed).
// `src` is set when the body was parsed in place (the batch endpoint).
void parseItem(const Value& obj, int index, const Defaults& d, bool allow_workflow_id, const RunRequestLimits& limits,
               FieldErrors& errors, RunItem& out, const InPlaceSource* src) {
  const size_t errors_before = errors.size();
  out.workflow_id = d.workflow_id;
  out.priority = d.priority;
  bool has_input = false;
  const Value* metadata = nullptr;
  const Value::Member* metadata_member = nullptr;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& v = m->value;
    // An optional field sent as null is absent (clients often write unset fields so); input's
    // null is the run's input itself.
    if (v.IsNull() && name != "input" && isItemField(name)) continue;
    if (name == "input") {
      has_input = true;
      // Parsed in place: the body's own text, copied once later into the record.
      if (auto text = src ? sourceText(*src, *m) : std::nullopt) {
        out.input_text = *text;
      } else {
        out.input = json::stringify(v);
      }
    } else if (name == "workflow_id" && allow_workflow_id) {
      errors.workflowId(index, itemField(index, "workflow_id"), v, out.workflow_id);
    } else if (name == "workflow_id") {
      errors.add(index, "workflow_id", "is taken from the path; leave it out of the body");
    } else if (name == "metadata") {
      if (v.IsObject()) {
        metadata = &v;
        metadata_member = &*m;
      } else {
        errors.add(index, itemField(index, "metadata"), "must be an object");
      }
    } else if (name == "priority") {
      errors.integer(index, itemField(index, "priority"), v, 1, 100, out.priority);
    } else if (name == "idempotency_key") {
      if (!v.IsString()) {
        errors.add(index, itemField(index, "idempotency_key"), "must be a string");
      } else if (auto problem = idempotencyKeyProblem({v.GetString(), v.GetStringLength()})) {
        errors.add(index, itemField(index, "idempotency_key"), *problem);
      } else {
        out.idempotency_key.assign(v.GetString(), v.GetStringLength());
      }
    } else if (name == "queue") {
      errors.name(index, itemField(index, "queue"), v, out.queue);
    } else if (name == "concurrency_key") {
      errors.name(index, itemField(index, "concurrency_key"), v, out.concurrency_key);
    } else if (name == "timeout_seconds") {
      errors.integer(index, itemField(index, "timeout_seconds"), v, 1, kMaxTimeoutSeconds, out.timeout_seconds);
    } else if (name == "max_attempts") {
      errors.integer(index, itemField(index, "max_attempts"), v, 1, kMaxAttempts, out.max_attempts);
    } else if (name == "destination") {
      errors.url(index, itemField(index, "destination"), v, out.destination);
    } else {
      errors.add(index, itemField(index, std::string(name).c_str()), "unknown field");
    }
  }
  if (!has_input) errors.add(index, itemField(index, "input"), "required (any JSON value, null included)");
  if (allow_workflow_id && out.workflow_id.empty()) {
    // Unless the item's own workflow_id was already reported as malformed.
    const std::string field = itemField(index, "workflow_id");
    bool reported = false;
    for (size_t i = errors_before; i < errors.size(); ++i) reported = reported || errors.all()[i].field == field;
    if (!reported) errors.add(index, field, "required, on the item or at the top level");
  }
  if (metadata && d.metadata) {
    out.metadata = mergeMetadata(*d.metadata, *metadata);
  } else if (metadata) {
    out.metadata = valueText(src, *metadata_member);
  } else {
    out.metadata = d.metadata_text;
  }
  int64_t bytes = static_cast<int64_t>(out.inputText().size() + out.metadata.size());
  if (bytes > limits.max_item_bytes) {
    errors.add(index, index < 0 ? std::string("input") : "runs[" + std::to_string(index) + "]",
               "is " + std::to_string(bytes) + " bytes (input + metadata); the limit is " +
                   std::to_string(limits.max_item_bytes));
  }
}

ParsedRuns finish(std::vector<RunItem> items, FieldErrors& errors) {
  ParsedRuns out;
  if (errors.empty()) {
    out.items = std::move(items);
    return out;
  }
  out.errors = errors.take();
  if (out.errors.size() > kMaxReportedProblems) {
    size_t more = out.errors.size() - kMaxReportedProblems;
    out.errors.resize(kMaxReportedProblems);
    out.errors.push_back({-1, "", "and " + std::to_string(more) + " more problems"});
  }
  return out;
}

}  // namespace

ParsedRuns parseBatchRequest(std::string_view body, const RunRequestLimits& limits) {
  FieldErrors errors;
  // The body parsed in place: the document's strings point into it. Kept per HTTP thread so a
  // 1 MB body does not cost a fresh allocation and its page faults on every request (≈ 4 % of
  // ingest's CPU in a profile); nothing refers to it once this function returns.
  thread_local std::string buffer;
  rapidjson::Document doc;
  if (!parseObjectInPlace(body, buffer, doc, errors)) return finish({}, errors);
  const InPlaceSource src{body, buffer.data()};
  Defaults d;
  const Value* runs = nullptr;
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    if (m->value.IsNull() && (name == "workflow_id" || name == "priority" || name == "metadata")) continue;
    if (name == "runs") {
      runs = &m->value;
    } else if (name == "workflow_id") {
      errors.workflowId(-1, "workflow_id", m->value, d.workflow_id);
    } else if (name == "priority") {
      errors.integer(-1, "priority", m->value, 1, 100, d.priority);
    } else if (name == "metadata") {
      if (m->value.IsObject()) {
        d.metadata = &m->value;
        d.metadata_text = json::stringify(m->value);
      } else {
        errors.add(-1, "metadata", "must be an object");
      }
    } else {
      errors.add(-1, std::string(name), "unknown field");
    }
  }
  if (runs == nullptr) {
    errors.add(-1, "runs", "required: an array of 1.." + std::to_string(limits.max_items) + " runs");
    return finish({}, errors);
  }
  if (!runs->IsArray()) {
    errors.add(-1, "runs", "must be an array");
    return finish({}, errors);
  }
  const auto n = static_cast<int>(runs->Size());
  if (n == 0 || n > limits.max_items) {
    // Over-long batches are not inspected item by item: the count alone rejects them.
    errors.add(-1, "runs", "has " + std::to_string(n) + " items; it must have 1.." + std::to_string(limits.max_items));
    return finish({}, errors);
  }
  std::vector<RunItem> items(static_cast<size_t>(n));
  std::unordered_map<std::string_view, int> item_keys;  // idempotency_key → first index using it
  for (int i = 0; i < n; ++i) {
    const Value& item = (*runs)[static_cast<rapidjson::SizeType>(i)];
    if (!item.IsObject()) {
      errors.add(i, "runs[" + std::to_string(i) + "]", "must be an object");
      continue;
    }
    parseItem(item, i, d, true, limits, errors, items[static_cast<size_t>(i)], &src);
    const std::string& key = items[static_cast<size_t>(i)].idempotency_key;
    if (key.empty()) continue;
    auto [it, fresh] = item_keys.emplace(key, i);
    if (!fresh) {
      // Two items with one key would be one run: say so, on both items, rather than silently
      // dropping one (which of two different inputs was meant?).
      const int first = it->second;
      if (first >= 0) {
        errors.add(first, "runs[" + std::to_string(first) + "].idempotency_key",
                   "is repeated by runs[" + std::to_string(i) +
                       "].idempotency_key; one request cannot name a run twice");
        it->second = -1 - first;  // the first item is reported once, however often its key repeats
      }
      errors.add(i, "runs[" + std::to_string(i) + "].idempotency_key",
                 "repeats runs[" + std::to_string(first >= 0 ? first : -1 - first) +
                     "].idempotency_key; one request cannot name a run twice");
    }
  }
  return finish(std::move(items), errors);
}

ParsedRuns parseSingleRunRequest(std::string_view body, std::string_view workflow_id, const RunRequestLimits& limits) {
  FieldErrors errors;
  if (auto problem = workflowIdProblem(workflow_id)) errors.add(-1, "workflow_id", "(path) " + *problem);
  rapidjson::Document doc;
  if (!parseObject(body, doc, errors)) return finish({}, errors);
  Defaults d;
  d.workflow_id.assign(workflow_id);
  d.priority = kSingleDefaultPriority;
  std::vector<RunItem> items(1);
  parseItem(doc, -1, d, false, limits, errors, items[0], nullptr);
  return finish(std::move(items), errors);
}

}  // namespace batchrun::ingest
