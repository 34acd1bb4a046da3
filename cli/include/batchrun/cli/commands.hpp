#pragma once
// The read and management commands: runs get|list, batch status|cancel|watch, webhooks
// list|create|delete|enable|disable. Each prints the API's JSON on stdout (runs list: one run per line) and
// returns an exit code (0 ok, 1 API error, 3 watch ended with runs not completed).
#include <string>
#include <vector>

#include "batchrun/cli/api_client.hpp"

namespace batchrun::cli {

struct RunsListFlags {
  std::string batch_id, status, workflow_id, created_after;
  int limit = 100;
  bool all = false;  // follow next_cursor to the end
};

int runsGet(ApiClient& api, const std::string& run_id);
int runsList(ApiClient& api, const RunsListFlags& flags);
int batchStatus(ApiClient& api, const std::string& batch_id);
int batchCancel(ApiClient& api, const std::string& batch_id);
int batchWatch(ApiClient& api, const std::string& batch_id, bool quiet);
int webhooksList(ApiClient& api);
int webhooksCreate(ApiClient& api, const std::string& url, const std::vector<std::string>& event_types,
                   const std::string& description);
int webhooksDelete(ApiClient& api, const std::string& endpoint_id);
int webhooksEnable(ApiClient& api, const std::string& endpoint_id);
// reason: shown as disabled_reason; empty = the API's default.
int webhooksDisable(ApiClient& api, const std::string& endpoint_id, const std::string& reason);

// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& s);

}  // namespace batchrun::cli
