#pragma once
// The running system the dialect tests talk to, shared by every test of the binary (one start-up):
// a unique topic prefix on the test broker, batchrun-demo-worker, batchrun-dispatcher and
// batchrun-ingest as child processes, two API keys (projects "proj-a" and "proj-b"), and the demo
// worker registered as workflows "process_data", "my_workflow" and "wf_1234567890" of proj-a (plus
// kUnreachableWorkflow, whose worker cannot be reached: its runs fail after one attempt). With
// BATCHRUN_E2E_TOPOLOGY=lb: two of each service, ingest behind nginx (tests/support/nginx_lb.hpp).
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>

#include "../dispatcher/harness.hpp"
#include "http.hpp"
#include "nginx_lb.hpp"

namespace batchrun::testing {

inline constexpr const char* kCompatKey = "compat-key-a";
inline constexpr const char* kCompatKeyB = "compat-key-b";
inline constexpr const char* kCompatProject = "proj-a";
inline constexpr const char* kCompatProjectB = "proj-b";
inline constexpr const char* kUnreachableWorkflow = "wf_unreachable";

class CompatSystem {
 public:
  static CompatSystem& get();  // started by the test environment
  static void start();
  static void stop();

  std::string url(const std::string& path) const { return base_ + path; }
  DemoWorker& worker() { return *worker_; }
  const KafkaSettings& kafka() const { return system_->kafka(); }
  // An HTTP call to ingest with JSON content type and the headers given.
  HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                    std::map<std::string, std::string> headers = {});
  // The run through GET /v1/runs/{id} (with proj-a's key), once it is terminal; null document on timeout.
  rapidjson::Document waitTerminal(const std::string& run_id);
  // The run through GET /v1/runs/{id}, as it is now.
  rapidjson::Document run(const std::string& run_id);
  // The dispatchers' /metrics texts, one after the other.
  std::string dispatcherMetrics() const;
  // One series of the dispatchers' /metrics, summed over the dispatchers (two in the lb topology); 0 when absent.
  double dispatcherMetric(const std::string& series) const;

 private:
  CompatSystem();
  std::unique_ptr<System> system_;
  std::unique_ptr<DemoWorker> worker_;
  std::unique_ptr<ChildProcess> startIngest(int port) const;

  std::unique_ptr<ChildProcess> ingest_;
  std::unique_ptr<ChildProcess> ingest2_;  // lb topology only
  std::unique_ptr<NginxLb> lb_;            // lb topology only
  size_t dispatchers_ = 1;
  std::string base_;
};

rapidjson::Document parseJson(const std::string& body);
std::string bearer(const char* key = kCompatKey);
// The batchrun run id behind an Upstash workflowRunId of proj-a (docs/compat.md "Upstash": the id mapping).
std::string upstashRunId(const std::string& workflow_run_id);

}  // namespace batchrun::testing
