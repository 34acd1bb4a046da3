#include "batchrun/dispatcher/batches/batch_progress.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun::dispatcher {

std::string encodeBatchProgress(const BatchProgress& p) {
  std::string out = "{";
  json::appendKey(out, "batch_id");
  json::appendString(out, p.batch_id);
  out += ',';
  json::appendKey(out, "project");
  json::appendString(out, p.project);
  if (p.done) {
    out += ",\"done\":true}";
    return out;
  }
  out += ',';
  json::appendKey(out, "run_id");
  json::appendString(out, p.run_id);
  out += ',';
  json::appendKey(out, "status");
  json::appendString(out, p.status);
  out += ",\"batch_size\":" + std::to_string(p.batch_size) + ",\"created_at\":" + std::to_string(p.created_at) + "}";
  return out;
}

Result<BatchProgress> decodeBatchProgress(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) return Error::invalid("batch progress: " + st.message());
  if (!d.IsObject()) return Error::invalid("batch progress: not a JSON object");
  BatchProgress p;
  if (!json::getString(d, "batch_id", p.batch_id) || p.batch_id.empty()) return Error::invalid("batch progress: batch_id");
  json::getString(d, "project", p.project);
  if (d.HasMember("done") && d["done"].IsBool() && d["done"].GetBool()) {
    p.done = true;
    return p;
  }
  int64_t size = 0;
  if (!json::getString(d, "run_id", p.run_id) || !json::getString(d, "status", p.status) ||
      !json::getInt(d, "batch_size", size)) {
    return Error::invalid("batch progress: run_id, status and batch_size are required");
  }
  p.batch_size = static_cast<int>(size);
  json::getInt(d, "created_at", p.created_at);
  return p;
}

OutMessage makeProgressRecord(const std::string& topic, const Run& run) {
  BatchProgress p{run.batch_id, run.project, run.run_id, toString(run.status), run.batch_size, run.created_at, false};
  OutMessage m;
  m.topic = topic;
  m.key = run.batch_id;
  m.value = encodeBatchProgress(p);
  return m;
}

OutMessage makeDoneMarker(const std::string& topic, const std::string& batch_id, const std::string& project) {
  BatchProgress p;
  p.batch_id = batch_id;
  p.project = project;
  p.done = true;
  OutMessage m;
  m.topic = topic;
  m.key = batch_id;
  m.value = encodeBatchProgress(p);
  return m;
}

}  // namespace batchrun::dispatcher
