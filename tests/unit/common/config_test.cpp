#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "batchrun/common/config.hpp"
#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/service_config.hpp"

using namespace batchrun;

TEST(Config, ReportsEveryProblemAtOnce) {
  EnvReader env({{"BATCHRUN_KAFKA_PARTITIONS", "zero"},
                 {"BATCHRUN_KAFKA_REPLICATION", "0"},
                 {"BATCHRUN_LANES", "high:25,broken"},
                 {"BATCHRUN_LOG_LEVEL", "loud"},
                 {"BATCHRUN_INGEST_PORT", "70000"}});
  ServiceConfig cfg;
  loadServiceConfig(env, "BATCHRUN_INGEST", cfg);
  ASSERT_EQ(env.problems().size(), 6u) << env.report();
  auto report = env.report();
  EXPECT_NE(report.find("BATCHRUN_KAFKA_PARTITIONS"), std::string::npos);
  EXPECT_NE(report.find("BATCHRUN_KAFKA_REPLICATION"), std::string::npos);
  EXPECT_NE(report.find("'broken'"), std::string::npos);
  EXPECT_NE(report.find("last lane must reach priority 100"), std::string::npos);
  EXPECT_NE(report.find("BATCHRUN_LOG_LEVEL"), std::string::npos);
  EXPECT_NE(report.find("BATCHRUN_INGEST_PORT"), std::string::npos);
}

TEST(Config, DefaultsAndOverrides) {
  EnvReader env({{"BATCHRUN_KAFKA_BROKERS", "a:1,b:2"}, {"BATCHRUN_LANES", "fast:10,slow:100"},
                 {"BATCHRUN_KAFKA_CONFIG", "socket.timeout.ms=5000"}});
  auto s = loadKafkaSettings(env);
  ASSERT_TRUE(env.ok()) << env.report();
  EXPECT_EQ(s.brokers, "a:1,b:2");
  ASSERT_EQ(s.lanes.size(), 2u);
  EXPECT_EQ(laneFor(s.lanes, 10).name, "fast");
  EXPECT_EQ(laneFor(s.lanes, 11).name, "slow");
  EXPECT_EQ(s.extra.at("socket.timeout.ms"), "5000");
}

TEST(Config, DefaultLanesFollowTheDesign) {
  KafkaSettings s;
  EXPECT_EQ(laneFor(s.lanes, 1).name, "high");
  EXPECT_EQ(laneFor(s.lanes, 25).name, "high");
  EXPECT_EQ(laneFor(s.lanes, 26).name, "normal");
  EXPECT_EQ(laneFor(s.lanes, 50).name, "normal");
  EXPECT_EQ(laneFor(s.lanes, 89).name, "low");
  EXPECT_EQ(laneFor(s.lanes, 90).name, "bulk");
  EXPECT_EQ(Topics(s).requested("bulk"), "batchrun.runs.requested.bulk");
}

TEST(Config, RunRetentionIsDaysAndAtLeastTheLanesWeek) {
  {
    EnvReader env(std::map<std::string, std::string>{{"BATCHRUN_RUN_RETENTION_DAYS", "10"}});
    auto s = loadKafkaSettings(env);
    ASSERT_TRUE(env.ok()) << env.report();
    EXPECT_EQ(s.run_retention_ms, 10LL * 24 * 3600 * 1000);
    // runs.state deletes what is older than the retention, and keeps compacting.
    auto specs = standardTopics(s);
    auto state = std::find_if(specs.begin(), specs.end(), [&](const TopicSpec& t) { return t.name == Topics(s).state; });
    ASSERT_NE(state, specs.end());
    EXPECT_EQ(state->config.at("cleanup.policy"), "compact,delete");
    EXPECT_EQ(state->config.at("retention.ms"), std::to_string(s.run_retention_ms));
  }
  {
    EnvReader env(std::map<std::string, std::string>{{"BATCHRUN_RUN_RETENTION_DAYS", "3"}});
    loadKafkaSettings(env);
    EXPECT_NE(env.report().find("BATCHRUN_RUN_RETENTION_DAYS"), std::string::npos) << env.report();
  }
  EXPECT_EQ(KafkaSettings{}.run_retention_ms, 30LL * 24 * 3600 * 1000);
}

TEST(Config, ReplicationAndMinInsyncDefaultToTheBrokers) {
  EnvReader unset(std::map<std::string, std::string>{});
  auto s = loadKafkaSettings(unset);
  ASSERT_TRUE(unset.ok()) << unset.report();
  EXPECT_EQ(s.replication_factor, -1) << "CreateTopics with -1: the broker's default.replication.factor";
  EXPECT_EQ(s.min_insync_replicas, 0);
  for (const auto& spec : standardTopics(s)) {
    EXPECT_EQ(spec.replication_factor, -1) << spec.name;
    EXPECT_EQ(spec.config.count("min.insync.replicas"), 0u) << spec.name << ": the broker's min.insync.replicas applies";
  }

  EnvReader set({{"BATCHRUN_KAFKA_REPLICATION", "3"}, {"BATCHRUN_KAFKA_MIN_INSYNC", "2"}});
  s = loadKafkaSettings(set);
  ASSERT_TRUE(set.ok()) << set.report();
  for (const auto& spec : standardTopics(s)) {
    EXPECT_EQ(spec.replication_factor, 3) << spec.name;
    EXPECT_EQ(spec.config.at("min.insync.replicas"), "2") << spec.name;
  }

  EnvReader only_isr(std::map<std::string, std::string>{{"BATCHRUN_KAFKA_MIN_INSYNC", "2"}});
  loadKafkaSettings(only_isr);
  EXPECT_TRUE(only_isr.ok()) << "min ISR alone is checked by the broker against its replication: " << only_isr.report();
  EnvReader too_many({{"BATCHRUN_KAFKA_REPLICATION", "2"}, {"BATCHRUN_KAFKA_MIN_INSYNC", "3"}});
  loadKafkaSettings(too_many);
  EXPECT_NE(too_many.report().find("exceeds BATCHRUN_KAFKA_REPLICATION"), std::string::npos) << too_many.report();
}
