#include "batchrun/cli/commands.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cstdio>

#include "batchrun/cli/batches.hpp"
#include "batchrun/cli/submit.hpp"
#include "batchrun/common/json_parse.hpp"
#include "batchrun/common/json_writer.hpp"

namespace batchrun::cli {

namespace {
// Prints the body of a 2xx answer, or the error; returns the exit code.
int printAnswer(const ApiResponse& r, const std::string& what) {
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s: %s\n", what.c_str(), describeError(r).c_str());
    return kExitApi;
  }
  std::printf("%s\n", r.body.c_str());
  return kExitOk;
}

std::string jsonString(const std::string& s) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}
}  // namespace

std::string urlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int runsGet(ApiClient& api, const std::string& run_id) {
  return printAnswer(api.call("GET", "/v1/runs/" + urlEncode(run_id)), "run " + run_id);
}

int runsList(ApiClient& api, const RunsListFlags& f) {
  std::string query = "limit=" + std::to_string(f.limit);
  if (!f.batch_id.empty()) query += "&batch_id=" + urlEncode(f.batch_id);
  if (!f.status.empty()) query += "&status=" + urlEncode(f.status);
  if (!f.workflow_id.empty()) query += "&workflow_id=" + urlEncode(f.workflow_id);
  if (!f.created_after.empty()) query += "&created_after=" + urlEncode(f.created_after);
  std::string cursor;
  while (true) {
    ApiResponse r = api.call("GET", "/v1/runs?" + query + (cursor.empty() ? "" : "&cursor=" + urlEncode(cursor)));
    if (!r.ok()) {
      std::fprintf(stderr, "error: listing runs: %s\n", describeError(r).c_str());
      return kExitApi;
    }
    rapidjson::Document d;
    const bool parsed = json::parseRecord(d, r.body).ok();
    if (!parsed || !d.IsObject() || !d.HasMember("runs") || !d["runs"].IsArray()) {
      std::fprintf(stderr, "error: unexpected answer: %s\n", r.body.substr(0, 300).c_str());
      return kExitApi;
    }
    for (const auto& run : d["runs"].GetArray()) {
      rapidjson::StringBuffer buf;
      json::Writer w(buf);
      run.Accept(w);
      std::printf("%s\n", buf.GetString());
    }
    if (!f.all || !d.HasMember("next_cursor") || !d["next_cursor"].IsString()) return kExitOk;
    cursor = d["next_cursor"].GetString();
  }
}

int batchStatus(ApiClient& api, const std::string& batch_id) {
  return printAnswer(api.call("GET", "/v1/batches/" + urlEncode(batch_id)), "batch " + batch_id);
}

int batchCancel(ApiClient& api, const std::string& batch_id) {
  return printAnswer(api.call("POST", "/v1/batches/" + urlEncode(batch_id) + "/cancel", "{}"),
                     "cancelling batch " + batch_id);
}

int batchWatch(ApiClient& api, const std::string& batch_id, bool quiet) {
  ApiResponse first = api.call("GET", "/v1/batches/" + urlEncode(batch_id));
  if (!first.ok()) return printAnswer(first, "batch " + batch_id);
  rapidjson::Document d;
  json::parseRecord(d, first.body);  // on failure d is null: the checks below refuse it
  size_t total = d.IsObject() && d.HasMember("total") && d["total"].IsNumber() ? d["total"].GetUint64() : 0;
  Progress progress("complete", total, quiet);
  BatchTotals totals;
  if (auto err = waitForBatches(api, {batch_id}, progress, totals)) {
    progress.finish();
    std::fprintf(stderr, "error: %s\n", err->c_str());
    return kExitApi;
  }
  progress.finish(describeCounts(totals.counts));
  int code = batchStatus(api, batch_id);
  if (code != kExitOk) return code;
  auto it = totals.counts.find("completed");
  long completed = it == totals.counts.end() ? 0 : it->second;
  return static_cast<size_t>(completed) == totals.total ? kExitOk : kExitNotAllCompleted;
}

int webhooksList(ApiClient& api) { return printAnswer(api.call("GET", "/v1/webhook-endpoints"), "listing webhook endpoints"); }

int webhooksCreate(ApiClient& api, const std::string& url, const std::vector<std::string>& event_types,
                   const std::string& description) {
  std::string body = "{\"url\":" + jsonString(url);
  if (!event_types.empty()) {
    body += ",\"event_types\":[";
    for (size_t i = 0; i < event_types.size(); ++i) body += (i ? "," : "") + jsonString(event_types[i]);
    body += "]";
  }
  if (!description.empty()) body += ",\"description\":" + jsonString(description);
  body += "}";
  // Not repeatable: a lost answer after the endpoint was created would create a second one.
  int code = printAnswer(api.call("POST", "/v1/webhook-endpoints", body, {}, /*repeatable=*/false),
                         "creating a webhook endpoint");
  if (code == kExitOk) std::fprintf(stderr, "Keep the \"secret\" above: it is shown only once.\n");
  return code;
}

int webhooksDelete(ApiClient& api, const std::string& endpoint_id) {
  ApiResponse r = api.call("DELETE", "/v1/webhook-endpoints/" + urlEncode(endpoint_id));
  if (r.ok() && r.body.empty()) {
    std::fprintf(stderr, "deleted %s\n", endpoint_id.c_str());
    return kExitOk;
  }
  return printAnswer(r, "deleting webhook endpoint " + endpoint_id);
}

int webhooksEnable(ApiClient& api, const std::string& endpoint_id) {
  return printAnswer(api.call("POST", "/v1/webhook-endpoints/" + urlEncode(endpoint_id) + "/enable"),
                     "enabling webhook endpoint " + endpoint_id);
}

int webhooksDisable(ApiClient& api, const std::string& endpoint_id, const std::string& reason) {
  std::string body = reason.empty() ? std::string() : "{\"reason\":" + jsonString(reason) + "}";
  return printAnswer(api.call("POST", "/v1/webhook-endpoints/" + urlEncode(endpoint_id) + "/disable", body),
                     "disabling webhook endpoint " + endpoint_id);
}

}  // namespace batchrun::cli
