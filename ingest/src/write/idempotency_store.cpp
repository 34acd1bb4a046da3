#include "batchrun/ingest/write/idempotency_store.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/json.hpp"

namespace batchrun::ingest {

namespace {
constexpr size_t kSweepEvery = 4096;
}

std::string encodeIdempotencyRecord(const IdempotencyRecord& r) {
  std::string out = "{";
  json::appendKey(out, "fingerprint");
  json::appendString(out, r.fingerprint);
  out += ',';
  json::appendKey(out, "batch_id");
  json::appendString(out, r.batch_id);
  out += ',';
  json::appendKey(out, "created_at");
  json::appendInt(out, r.created_at);
  out += ',';
  json::appendKey(out, "runs");
  json::appendInt(out, r.runs);
  out += ',';
  json::appendKey(out, "complete");
  out += r.complete ? "true" : "false";
  if (!r.deduplicated.empty()) {
    out += ',';
    json::appendKey(out, "deduplicated");
    out += '[';
    for (size_t i = 0; i < r.deduplicated.size(); ++i) {
      if (i) out += ',';
      json::appendInt(out, r.deduplicated[i]);
    }
    out += ']';
  }
  out += '}';
  return out;
}

Result<IdempotencyRecord> decodeIdempotencyRecord(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("idempotency record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("idempotency record is not a JSON object");
  IdempotencyRecord r;
  int64_t runs = 0;
  if (!json::getString(d, "fingerprint", r.fingerprint) || !json::getInt(d, "created_at", r.created_at)) {
    return Error::invalid("idempotency record without fingerprint/created_at");
  }
  json::getString(d, "batch_id", r.batch_id);
  if (json::getInt(d, "runs", runs)) r.runs = static_cast<int>(runs);
  if (auto it = d.FindMember("complete"); it != d.MemberEnd() && it->value.IsBool()) r.complete = it->value.GetBool();
  if (auto it = d.FindMember("deduplicated"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& v : it->value.GetArray()) {
      if (v.IsInt()) r.deduplicated.push_back(v.GetInt());
    }
  }
  return r;
}

std::string IdempotencyStore::apply(std::string_view key, std::string_view value) {
  if (value.empty()) {
    std::lock_guard lock(mu_);
    records_.erase(std::string(key));
    return {};
  }
  auto record = decodeIdempotencyRecord(value);
  if (!record) return record.error().message;
  if (record->created_at < clock_.nowMs() - window_ms_) return {};  // outside the window: irrelevant
  std::lock_guard lock(mu_);
  mergeLocked(std::string(key), std::move(*record));
  return {};
}

void IdempotencyStore::put(const std::string& key, const IdempotencyRecord& record) {
  std::lock_guard lock(mu_);
  mergeLocked(key, record);
}

void IdempotencyStore::mergeLocked(const std::string& key, IdempotencyRecord record) {
  auto [it, fresh] = records_.try_emplace(key, record);
  if (!fresh) {
    IdempotencyRecord& held = it->second;
    if (held.fingerprint == record.fingerprint && held.batch_id == record.batch_id) {
      // The same request: "complete" is sticky, whichever of its records arrives last.
      held.complete = held.complete || record.complete;
    } else if (record.created_at > held.created_at) {
      // The key was reused after the window: the newer request owns it now.
      held = std::move(record);
    }
  }
  if (++writes_since_sweep_ >= kSweepEvery) sweepLocked(clock_.nowMs());
}

void IdempotencyStore::sweepLocked(int64_t now) {
  writes_since_sweep_ = 0;
  for (auto it = records_.begin(); it != records_.end();) {
    if (it->second.created_at < now - window_ms_) it = records_.erase(it); else ++it;
  }
}

std::optional<IdempotencyRecord> IdempotencyStore::find(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end() || it->second.created_at < clock_.nowMs() - window_ms_) return std::nullopt;
  return it->second;
}

bool IdempotencyStore::claim(const std::string& key) {
  std::lock_guard lock(mu_);
  return in_flight_.insert(key).second;
}

void IdempotencyStore::release(const std::string& key) {
  std::lock_guard lock(mu_);
  in_flight_.erase(key);
}

size_t IdempotencyStore::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

}  // namespace batchrun::ingest
