// The three services as processes: they start against the real broker, answer their health,
// readiness and metrics endpoints, exit 0 on SIGTERM, and exit 2 listing every config problem.
#include <gtest/gtest.h>

#include "http.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

namespace {

struct Service {
  const char* binary;
  const char* port_var;
};

class ServicesTest : public ::testing::TestWithParam<Service> {};

TEST_P(ServicesTest, AnswersHealthReadinessMetricsAndExitsCleanlyOnSigterm) {
  auto s = uniqueKafkaSettings(2);
  int port = freePort();
  ChildProcess p(binDir() + "/" + GetParam().binary,
                 {{"BATCHRUN_KAFKA_BROKERS", s.brokers}, {"BATCHRUN_TOPIC_PREFIX", s.topic_prefix},
                  {"BATCHRUN_KAFKA_PARTITIONS", "2"}, {GetParam().port_var, std::to_string(port)}});
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(waitFor([&] { return httpGet(base + "/readyz").status == 200; }, 60s)) << p.log();
  auto health = httpGet(base + "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_NE(health.body.find("ok"), std::string::npos);
  auto metrics = httpGet(base + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(p.stop(15), 0) << p.log();
}

TEST_P(ServicesTest, ReportsAllConfigProblemsAndExits2) {
  ChildProcess p(binDir() + "/" + GetParam().binary,
                 {{"BATCHRUN_KAFKA_PARTITIONS", "many"}, {"BATCHRUN_LOG_LEVEL", "loud"}, {GetParam().port_var, "-1"}});
  ASSERT_TRUE(waitFor([&] { return !p.running(); }, 30s));
  EXPECT_EQ(p.stop(), 2);
  auto log = p.log();
  EXPECT_NE(log.find("BATCHRUN_KAFKA_PARTITIONS"), std::string::npos) << log;
  EXPECT_NE(log.find("BATCHRUN_LOG_LEVEL"), std::string::npos) << log;
  EXPECT_NE(log.find(GetParam().port_var), std::string::npos) << log;
}

TEST_P(ServicesTest, NotReadyWhileKafkaIsUnreachable) {
  int port = freePort();
  ChildProcess p(binDir() + "/" + GetParam().binary,
                 {{"BATCHRUN_KAFKA_BROKERS", "127.0.0.1:" + std::to_string(freePort())},
                  {"BATCHRUN_CREATE_TOPICS", "false"}, {GetParam().port_var, std::to_string(port)}});
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  HttpResponse ready;
  ASSERT_TRUE(waitFor([&] {
    ready = httpGet(base + "/readyz");
    return ready.status != 0 || !p.running();
  }, 30s)) << p.log();
  if (p.running()) {
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.body.find("kafka"), std::string::npos);
    EXPECT_EQ(p.stop(15), 0) << p.log();
  } else {
    // A service may also refuse to start without Kafka; then it must say so and exit non-zero.
    EXPECT_NE(p.stop(), 0);
    EXPECT_NE(p.log().find("kafka"), std::string::npos) << p.log();
  }
}

INSTANTIATE_TEST_SUITE_P(AllServices, ServicesTest,
                         ::testing::Values(Service{"batchrun-ingest", "BATCHRUN_INGEST_PORT"},
                                           Service{"batchrun-dispatcher", "BATCHRUN_DISPATCHER_PORT"},
                                           Service{"batchrun-webhook-sender", "BATCHRUN_WEBHOOK_PORT"}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.binary;
                           for (auto& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
