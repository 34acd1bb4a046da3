#include "kafka_env.hpp"

#include <cstdlib>

#include "batchrun/common/ids.hpp"

namespace batchrun::testing {

namespace {
std::string envOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
}  // namespace

std::string testBrokers() { return envOr("BATCHRUN_TEST_BROKERS", "127.0.0.1:9092"); }

KafkaSettings uniqueKafkaSettings(int partitions) {
  KafkaSettings s;
  s.brokers = testBrokers();
  s.topic_prefix = "t" + uuidv7().substr(24) + ".";
  s.partitions = partitions;
  s.message_timeout_ms = 15000;
  return s;
}

std::string binDir() { return envOr("BATCHRUN_BIN_DIR", "./bin"); }
std::string sourceDir() { return envOr("BATCHRUN_SOURCE_DIR", "."); }

}  // namespace batchrun::testing
