#pragma once
// How ingest names batches and runs. Without an idempotency key ids are UUIDv7 (time-ordered), a
// request's run ids consecutive from a random start (uuidv7Next); with one they are UUIDv5 derived from it, so a retry of the same request yields the same ids and
// the dispatcher's dedup by run_id keeps anything from running twice:
//   batch_id = v5(kBatchNamespace, "project/key")
//   run_id   = v5(kRunNamespace, "project/key/index")        (Idempotency-Key header, item index)
//   run_id   = v5(kItemKeyNamespace, "project/item-key")     (per-item idempotency_key; wins)
// Per-item keys use their own namespace so "key/3" as an item key cannot collide with item 3 of a
// request whose header key is "key". Thread-safe, pure.
#include <cstdint>
#include <string>
#include <string_view>

#include "batchrun/common/ids.hpp"

namespace batchrun::ingest {

extern const Uuid kItemKeyNamespace;

std::string batchIdFor(std::string_view project, std::string_view request_key, int64_t now_ms);
// `start` (uuidv7Start, one per request) is used only for an item with neither key.
std::string runIdFor(std::string_view project, std::string_view request_key, int index, std::string_view item_key,
                     const Uuid& start);

}  // namespace batchrun::ingest
