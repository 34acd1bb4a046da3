#pragma once
// The handover marker: a record a dispatcher writes to runs.state partition p when it gives p up
// (rebalance, shutdown) with every write it made settled — all acknowledged, none failed. Every
// state record of p up to the marker's `upto` then has its event and batch progress record durable,
// so the next owner announces again only the records after it instead of the previous owner's last
// message.timeout.ms + 5 s (a burst of duplicate events and webhooks on every rolling deploy).
// Readers of runs.state that expect runs skip it by its header.
#include <cstdint>
#include <string>
#include <string_view>

#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/kafka/producer.hpp"

namespace batchrun {

inline constexpr const char* kRecordKindHeader = "batchrun-record";
inline constexpr const char* kHandoverKind = "handover";
// runs.state is compacted: one key for every marker keeps the latest of each partition.
inline constexpr const char* kHandoverKey = "batchrun.handover";

// Value: {"handover":true,"partition":p,"upto":offset,"at":now_ms}. It vouches for the records of p
// up to `upto` only — the last one its writer read when it took p over or wrote itself and saw
// acknowledged — so a marker that lands late, after a next owner's first records, vouches for none
// of those.
OutMessage handoverMarker(const std::string& state_topic, int32_t partition, int64_t upto, int64_t now_ms);
bool isHandoverMarker(const Message& m);
// The marker's `upto`; -1 when the value does not say.
int64_t handoverUpto(std::string_view value);

}  // namespace batchrun
