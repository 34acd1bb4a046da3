// On a real 3-broker KRaft cluster (RF 3, min.insync.replicas 2): acks=all writes keep succeeding
// with one broker down and are refused, with a clear error, with two down.
#include <gtest/gtest.h>

#include <cstdlib>

#include "batchrun/common/kafka/admin.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "kafka_env.hpp"
#include "process.hpp"

using namespace batchrun;
using namespace batchrun::testing;

namespace {

const int kPort = 29092;
const std::string kDir = "/tmp/batchrun-cluster-test";

int kafka(const std::string& args) {
  std::string cmd = sourceDir() + "/scripts/kafka " + args + " --dir " + kDir + " >>" + kDir + ".log 2>&1";
  return std::system(cmd.c_str());
}

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kafka("stop");
    std::system(("rm -rf " + kDir).c_str());
    ASSERT_EQ(kafka("start --brokers 3 --port " + std::to_string(kPort)), 0) << "see " << kDir << ".log";
  }
  static void TearDownTestSuite() { kafka("stop"); }
};

Result<DeliveryReport> write(Producer& p, const std::string& topic) {
  OutMessage m{topic, "k", "v", {}};
  return p.produceSync(std::move(m));
}

TEST_F(ClusterTest, Rf3ToleratesOneBrokerDownAndRefusesWithTwoDown) {
  KafkaSettings s;
  s.brokers = "127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096";
  s.topic_prefix = "cluster.";
  s.partitions = 1;
  s.replication_factor = 3;
  s.min_insync_replicas = 2;
  s.message_timeout_ms = 10000;
  auto specs = standardTopics(s);
  ASSERT_TRUE(ensureTopics(s, specs));
  const std::string topic = Topics(s).requested("high");
  auto producer = Producer::create(s);
  ASSERT_TRUE(producer);
  auto r = write(**producer, topic);
  ASSERT_TRUE(r && r->ok) << (r ? r->error : r.error().message);

  ASSERT_EQ(kafka("stop-broker 3"), 0);
  r = write(**producer, topic);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok) << "one broker down must not stop acks=all writes: " << r->error;

  ASSERT_EQ(kafka("stop-broker 2"), 0);
  r = write(**producer, topic);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok) << "two brokers down: min.insync.replicas=2 cannot be met";
  EXPECT_TRUE(r->retryable) << r->error;
  EXPECT_FALSE(r->error.empty());
}

}  // namespace
