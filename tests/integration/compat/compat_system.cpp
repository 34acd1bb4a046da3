#include "compat_system.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/write/run_ids.hpp"
#include "kafka_env.hpp"
#include "prometheus_text.hpp"
#include "wait.hpp"

namespace batchrun::testing {

using namespace std::chrono_literals;

namespace {
CompatSystem* g_system = nullptr;

class CompatEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { CompatSystem::start(); }
  void TearDown() override { CompatSystem::stop(); }
};

[[maybe_unused]] auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new CompatEnvironment);
}  // namespace

rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

std::string bearer(const char* key) { return std::string("Bearer ") + key; }

std::string upstashRunId(const std::string& workflow_run_id) {
  if (isUuid(workflow_run_id.substr(4))) return workflow_run_id.substr(4);
  return ingest::runIdFor(kCompatProject, "", 0, ingest::upstashItemKey(workflow_run_id), Uuid{});
}

CompatSystem& CompatSystem::get() { return *g_system; }
void CompatSystem::start() { g_system = new CompatSystem(); }
void CompatSystem::stop() {
  delete g_system;
  g_system = nullptr;
}

CompatSystem::CompatSystem() {
  system_ = std::make_unique<System>(3);
  worker_ = std::make_unique<DemoWorker>();
  for (const char* wf : {"process_data", "my_workflow", "wf_1234567890"}) {
    Workflow w;
    w.project = kCompatProject;
    w.workflow_id = wf;
    w.endpoint = worker_->url("/run");
    system_->registerWorkflow(w);
  }
  // Runs of unregistered workflows are refused at ingest, so a run that fails needs a worker that
  // cannot be reached: nothing listens on port 9 (discard), and one attempt is all it gets.
  Workflow unreachable;
  unreachable.project = kCompatProject;
  unreachable.workflow_id = kUnreachableWorkflow;
  unreachable.endpoint = "http://127.0.0.1:9/run";
  unreachable.max_attempts = 1;
  system_->registerWorkflow(unreachable);
  system_->startDispatcher();
  const int port = freePort();
  base_ = "http://127.0.0.1:" + std::to_string(port);
  ingest_ = startIngest(port);
  // The horizontal topology (BATCHRUN_E2E_TOPOLOGY=lb, compat_integration_lb_tests): a second
  // dispatcher and a second ingest, the tests talking to nginx in front of both.
  if (lbTopology()) {
    dispatchers_ = system_->startDispatcher() + 1;
    const int port2 = freePort();
    ingest2_ = startIngest(port2);
    for (int p : {port, port2}) {
      if (!waitFor([&] { return httpGet("http://127.0.0.1:" + std::to_string(p) + "/readyz").status == 200; }, 60s)) {
        ADD_FAILURE() << "ingest on port " << p << " did not become ready";
      }
    }
    lb_ = std::make_unique<NginxLb>(std::vector<int>{port, port2});
    base_ = lb_->url();
  }
  if (!waitFor([&] { return httpGet(base_ + "/readyz").status == 200; }, 60s)) {
    ADD_FAILURE() << "ingest did not become ready: " << ingest_->log();
  }
  for (size_t i = 0; i < dispatchers_; ++i) {
    if (!waitFor([&] { return system_->dispatcherReady(i); }, 60s)) {
      ADD_FAILURE() << "dispatcher did not become ready: " << system_->dispatcher(i).log();
    }
  }
}

std::unique_ptr<ChildProcess> CompatSystem::startIngest(int port) const {
  const auto& k = system_->kafka();
  return std::make_unique<ChildProcess>(
      binDir() + "/batchrun-ingest",
      std::map<std::string, std::string>{
          {"BATCHRUN_KAFKA_BROKERS", k.brokers},
          {"BATCHRUN_TOPIC_PREFIX", k.topic_prefix},
          {"BATCHRUN_KAFKA_PARTITIONS", std::to_string(k.partitions)},
          {"BATCHRUN_INGEST_PORT", std::to_string(port)},
          {"BATCHRUN_WEBHOOK_ALLOW_HTTP", "true"},  // the test's receiver is http on loopback
          {"BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", "true"},
          {"BATCHRUN_API_KEYS", sha256Hex(kCompatKey) + ":" + kCompatProject + "," + sha256Hex(kCompatKeyB) + ":" +
                                    kCompatProjectB},
      });
}

std::string CompatSystem::dispatcherMetrics() const {
  std::string out;
  for (size_t i = 0; i < dispatchers_; ++i) out += system_->metrics(i);
  return out;
}

double CompatSystem::dispatcherMetric(const std::string& series) const {
  double sum = 0;
  for (size_t i = 0; i < dispatchers_; ++i) sum += seriesValue(system_->metrics(i), series).value_or(0);
  return sum;
}

HttpResponse CompatSystem::call(const std::string& method, const std::string& path, const std::string& body,
                                std::map<std::string, std::string> headers) {
  if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
  return httpRequest(method, base_ + path, body, headers);
}

rapidjson::Document CompatSystem::run(const std::string& run_id) {
  return parseJson(call("GET", "/v1/runs/" + run_id, {}, {{"Authorization", bearer()}}).body);
}

rapidjson::Document CompatSystem::waitTerminal(const std::string& run_id) {
  rapidjson::Document out;
  waitFor(
      [&] {
        auto d = run(run_id);
        if (d.HasParseError() || !d.IsObject() || !d.HasMember("status")) return false;
        std::string s = d["status"].GetString();
        if (s != "completed" && s != "failed" && s != "cancelled" && s != "timed_out") return false;
        out.Swap(d);
        return true;
      },
      60s);
  return out;
}

}  // namespace batchrun::testing
