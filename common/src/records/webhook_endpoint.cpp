#include "batchrun/common/records/webhook_endpoint.hpp"

#include <rapidjson/document.h>

#include <algorithm>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"

namespace batchrun {

namespace {

void appendStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    json::appendString(out, items[i]);
  }
  out += ']';
}

// The fields the API shows; `out` ends just after '{' or ','.
void appendPublicFields(std::string& out, const WebhookEndpoint& e) {
  json::appendKey(out, "id");
  json::appendString(out, e.id);
  out += ',';
  json::appendKey(out, "url");
  json::appendString(out, e.url);
  out += ',';
  json::appendKey(out, "event_types");
  appendStringArray(out, e.event_types);
  out += ',';
  json::appendKey(out, "description");
  json::appendString(out, e.description);
  out += ",\"rate_limit_per_second\":" + std::to_string(e.rate_limit_per_second);
  out += std::string(",\"disabled\":") + (e.disabled ? "true" : "false");
  out += ',';
  json::appendKey(out, "disabled_reason");
  json::appendString(out, e.disabled_reason);
  out += ',';
  json::appendKey(out, "dialect");
  json::appendString(out, e.dialect);
  out += ',';
}

}  // namespace

std::string encodeEndpoint(const WebhookEndpoint& e) {
  std::string out = "{";
  appendPublicFields(out, e);
  json::appendKey(out, "project");
  json::appendString(out, e.project);
  out += ",\"secrets\":[";
  for (size_t i = 0; i < e.secrets.size(); ++i) {
    if (i) out += ',';
    out += "{\"secret\":";
    json::appendString(out, e.secrets[i].secret);
    out += ",\"expires_at\":" + std::to_string(e.secrets[i].expires_at) + "}";
  }
  out += "],\"enabled_at\":" + std::to_string(e.enabled_at);
  out += ",\"created_at\":" + std::to_string(e.created_at);
  out += ",\"updated_at\":" + std::to_string(e.updated_at) + "}";
  return out;
}

Result<WebhookEndpoint> decodeEndpoint(std::string_view text) {
  rapidjson::Document d;
  if (auto st = json::parseRecord(d, text); !st) {
    return Error::invalid("endpoint record is not valid JSON: " + st.message());
  }
  if (!d.IsObject()) return Error::invalid("endpoint record is not a JSON object");
  WebhookEndpoint e;
  if (!json::getString(d, "id", e.id) || !json::getString(d, "project", e.project) ||
      !json::getString(d, "url", e.url)) {
    return Error::invalid("endpoint record without id/project/url");
  }
  if (auto it = d.FindMember("event_types"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      if (t.IsString()) e.event_types.emplace_back(t.GetString(), t.GetStringLength());
    }
  }
  json::getString(d, "description", e.description);
  if (auto it = d.FindMember("secrets"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& s : it->value.GetArray()) {
      if (!s.IsObject()) continue;
      EndpointSecret secret;
      if (!json::getString(s, "secret", secret.secret)) continue;
      json::getInt(s, "expires_at", secret.expires_at);
      e.secrets.push_back(std::move(secret));
    }
  }
  int64_t n = 0;
  if (json::getInt(d, "rate_limit_per_second", n)) e.rate_limit_per_second = static_cast<int>(n);
  if (auto it = d.FindMember("disabled"); it != d.MemberEnd() && it->value.IsBool()) e.disabled = it->value.GetBool();
  json::getString(d, "disabled_reason", e.disabled_reason);
  json::getString(d, "dialect", e.dialect);
  if (e.dialect.empty()) e.dialect = "native";
  json::getInt(d, "enabled_at", e.enabled_at);
  json::getInt(d, "created_at", e.created_at);
  json::getInt(d, "updated_at", e.updated_at);
  return e;
}

std::string endpointPublicJson(const WebhookEndpoint& e, std::string_view secret) {
  std::string out = "{";
  appendPublicFields(out, e);
  if (!secret.empty()) {
    json::appendKey(out, "secret");
    json::appendString(out, secret);
    out += ',';
  }
  json::appendKey(out, "created_at");
  json::appendString(out, formatRfc3339(e.created_at));
  out += ',';
  json::appendKey(out, "updated_at");
  json::appendString(out, formatRfc3339(e.updated_at));
  out += '}';
  return out;
}

std::string newEndpointId() { return "ep_" + uuidv7(); }

std::string newWebhookSecret(size_t bytes) {
  bytes = std::clamp<size_t>(bytes, 24, 64);
  return "whsec_" + base64Encode(randomBytes(bytes));
}

bool endpointWants(const WebhookEndpoint& e, std::string_view type) {
  if (e.event_types.empty()) return true;
  for (const auto& f : e.event_types) {
    if (f.size() >= 2 && f.compare(f.size() - 2, 2, ".*") == 0) {
      std::string_view prefix(f.data(), f.size() - 1);  // keeps the dot: "workflow_run."
      if (type.size() > prefix.size() && type.substr(0, prefix.size()) == prefix) return true;
    } else if (f == type) {
      return true;
    }
  }
  return false;
}

bool validEventTypeFilter(std::string_view f) {
  if (f.empty() || f.size() > 128) return false;
  size_t star = f.find('*');
  if (star != std::string_view::npos && (star != f.size() - 1 || f.size() < 3 || f[f.size() - 2] != '.')) return false;
  return std::all_of(f.begin(), f.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '*';
  });
}

std::vector<std::string> signingSecrets(const WebhookEndpoint& e, int64_t now_ms) {
  std::vector<std::string> out;
  for (const auto& s : e.secrets) {
    if (s.expires_at == 0 || s.expires_at > now_ms) out.push_back(s.secret);
  }
  return out;
}

std::string rotateSecret(WebhookEndpoint& e, int64_t now_ms, int64_t grace_ms) {
  std::vector<EndpointSecret> kept;
  std::string fresh = newWebhookSecret();
  kept.push_back({fresh, 0});
  for (auto& s : e.secrets) {
    if (s.expires_at == 0) s.expires_at = now_ms + grace_ms;
    if (s.expires_at > now_ms) kept.push_back(std::move(s));
  }
  e.secrets = std::move(kept);
  e.updated_at = now_ms;
  return fresh;
}

void disableEndpoint(WebhookEndpoint& e, std::string reason, int64_t now_ms) {
  e.disabled = true;
  e.disabled_reason = std::move(reason);
  e.updated_at = std::max(now_ms, e.updated_at + 1);
}

void enableEndpoint(WebhookEndpoint& e, int64_t now_ms) {
  e.disabled = false;
  e.disabled_reason.clear();
  e.updated_at = std::max(now_ms, e.updated_at + 1);
  e.enabled_at = e.updated_at;
}

OutMessage makeEndpointDisabledEvent(const std::string& events_topic, const WebhookEndpoint& e, int64_t now_ms) {
  std::string time = formatRfc3339(now_ms);
  std::string body = "{\"type\":\"endpoint.disabled\",\"timestamp\":";
  json::appendString(body, time);
  body += ",\"data\":{\"endpoint_id\":";
  json::appendString(body, e.id);
  body += ",\"url\":";
  json::appendString(body, e.url);
  body += ",\"reason\":";
  json::appendString(body, e.disabled_reason);
  body += ",\"disabled_at\":";
  json::appendString(body, time);
  body += "}}";
  OutMessage m;
  m.topic = events_topic;
  m.key = e.id;
  m.value = std::move(body);
  std::string id = "evt_" + uuidv5(kEventNamespace, e.id + "/endpoint.disabled/" + std::to_string(e.updated_at));
  m.headers = {{header::kId, id},
               {header::kType, kEndpointDisabledEvent},
               {header::kSource, "batchrun"},
               {header::kTime, time},
               {header::kSpecVersion, "1.0"},
               {header::kContentType, "application/json"},
               {header::kProject, e.project}};
  return m;
}

}  // namespace batchrun
