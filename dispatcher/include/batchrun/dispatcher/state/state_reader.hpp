#pragma once
// Reads chosen partitions of a topic from the beginning to the end they have now, outside any
// group — how a dispatcher rebuilds the state of runs.state partitions it was just assigned, and
// how the batch tracker knows when its replay has caught up. Blocking; call from one thread.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/result.hpp"

namespace batchrun::dispatcher {

using RecordHandler = std::function<void(const Message&)>;

// Calls `handler` for every record of topic/partitions below their current high watermark.
Status readPartitionsToEnd(const KafkaSettings& kafka, const std::string& topic, const std::vector<int32_t>& partitions,
                           const RecordHandler& handler, int timeout_ms = 120000);

// High watermark (next offset to be written) of one partition.
Result<int64_t> highWatermark(rd_kafka_t* rk, const std::string& topic, int32_t partition, int timeout_ms = 10000);

}  // namespace batchrun::dispatcher
