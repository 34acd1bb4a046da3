#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"

#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/ingest/http/request_fields.hpp"

namespace batchrun::ingest {

namespace {

constexpr size_t kMaxEventTypes = 64;
constexpr size_t kMaxDescription = 1024;
constexpr int kMaxRate = 100000;
constexpr size_t kMaxReason = 256;

bool parseObject(std::string_view body, rapidjson::Document& d, std::vector<FieldError>& errors) {
  const json::ParseStatus st = json::parse(d, body);
  if (!st && st.kind != json::ParseStatus::Kind::kSyntax) {
    // Too deep or not UTF-8: say which member it is in.
    errors.push_back(jsonBodyError(body, st, ""));
    return false;
  }
  if (!st || !d.IsObject()) {
    errors.push_back({-1, "body", "must be a JSON object"});
    return false;
  }
  return true;
}

void parseTime(const rapidjson::Value& v, const char* field, int64_t& out, std::vector<FieldError>& errors) {
  auto t = v.IsString() ? parseRfc3339(std::string_view(v.GetString(), v.GetStringLength())) : std::nullopt;
  if (!t) errors.push_back({-1, field, "must be an RFC 3339 timestamp"});
  else out = *t;
}

}  // namespace

bool parseCreateEndpoint(std::string_view body, CreateEndpointRequest& out, std::vector<FieldError>& errors) {
  rapidjson::Document d;
  if (!parseObject(body, d, errors)) return false;
  bool has_url = false;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    const auto& v = m->value;
    if (name == "url") {
      has_url = true;
      if (!v.IsString()) errors.push_back({-1, "url", "must be a string"});
      else out.url.assign(v.GetString(), v.GetStringLength());
    } else if (name == "event_types") {
      if (v.IsNull()) continue;
      if (!v.IsArray()) {
        errors.push_back({-1, "event_types", "must be an array of event types"});
        continue;
      }
      if (v.Size() > kMaxEventTypes) errors.push_back({-1, "event_types", "must have at most 64 entries"});
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        std::string field = "event_types[" + std::to_string(i) + "]";
        if (!v[i].IsString()) {
          errors.push_back({static_cast<int>(i), field, "must be a string"});
          continue;
        }
        std::string t(v[i].GetString(), v[i].GetStringLength());
        if (!validEventTypeFilter(t)) {
          errors.push_back({static_cast<int>(i), field, "must be an event type or a prefix ending in '.*'"});
          continue;
        }
        out.event_types.push_back(std::move(t));
      }
    } else if (name == "description") {
      if (v.IsNull()) continue;
      if (!v.IsString() || characterCount({v.GetString(), v.GetStringLength()}) > kMaxDescription) {
        errors.push_back({-1, "description", "must be a string of at most 1024 characters"});
      } else {
        out.description.assign(v.GetString(), v.GetStringLength());
      }
    } else if (name == "dialect") {
      if (v.IsNull()) continue;
      // With its length: "native\u0000x" is not "native".
      std::string dialect = v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : "";
      if (dialect != "native" && dialect != "extend") {
        errors.push_back({-1, "dialect", "must be \"native\" or \"extend\""});
      } else {
        out.dialect = std::move(dialect);
      }
    } else if (name == "rate_limit_per_second") {
      if (v.IsNull()) continue;
      const auto rate = integralValue(v);
      if (!rate || *rate < 0 || *rate > kMaxRate) {
        errors.push_back({-1, "rate_limit_per_second", "must be an integer 0..100000 (0: unlimited)"});
      } else {
        out.rate_limit_per_second = static_cast<int>(*rate);
      }
    } else {
      errors.push_back({-1, name, "is not a known field"});
    }
  }
  if (!has_url) errors.push_back({-1, "url", "is required"});
  return errors.empty();
}

bool parseReplay(std::string_view body, ReplayRequest& out, std::vector<FieldError>& errors) {
  rapidjson::Document d;
  if (!parseObject(body, d, errors)) return false;
  bool has_since = false;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    if (name == "since") {
      has_since = true;
      parseTime(m->value, "since", out.since, errors);
    } else if (name == "until") {
      if (!m->value.IsNull()) parseTime(m->value, "until", out.until, errors);
    } else {
      errors.push_back({-1, name, "is not a known field"});
    }
  }
  if (!has_since) errors.push_back({-1, "since", "is required"});
  if (errors.empty() && out.until != 0 && out.until < out.since) {
    errors.push_back({-1, "until", "must not be before since"});
  }
  return errors.empty();
}

bool blankBody(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

bool parseEnableEndpoint(std::string_view body, std::vector<FieldError>& errors) {
  if (blankBody(body)) return true;
  rapidjson::Document d;
  if (!parseObject(body, d, errors)) return false;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    errors.push_back({-1, std::string(m->name.GetString(), m->name.GetStringLength()), "is not a known field"});
  }
  return errors.empty();
}

bool parseDisableEndpoint(std::string_view body, DisableEndpointRequest& out, std::vector<FieldError>& errors) {
  if (blankBody(body)) return true;
  rapidjson::Document d;
  if (!parseObject(body, d, errors)) return false;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    const auto& v = m->value;
    if (name == "reason") {
      if (v.IsNull()) continue;
      if (!v.IsString() || v.GetStringLength() == 0 ||
          characterCount({v.GetString(), v.GetStringLength()}) > kMaxReason) {
        errors.push_back({-1, "reason", "must be a string of 1 to 256 characters"});
      } else {
        out.reason.assign(v.GetString(), v.GetStringLength());
      }
    } else {
      errors.push_back({-1, name, "is not a known field"});
    }
  }
  return errors.empty();
}

}  // namespace batchrun::ingest
