#pragma once
// The real broker integration tests talk to: BATCHRUN_TEST_BROKERS (scripts/test sets it;
// default 127.0.0.1:9092). Each test gets its own topic prefix so runs never collide.
#include <string>

#include "batchrun/common/kafka/settings.hpp"

namespace batchrun::testing {

std::string testBrokers();
// Settings with a fresh, unique topic prefix ("t<random>.") and small partition counts.
KafkaSettings uniqueKafkaSettings(int partitions = 3);
// Where the built binaries are (BATCHRUN_BIN_DIR, set by ctest) and the source tree.
std::string binDir();
std::string sourceDir();

}  // namespace batchrun::testing
