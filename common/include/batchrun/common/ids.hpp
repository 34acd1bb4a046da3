#pragma once
// Run, batch and event ids. UUIDv7 sorts by creation time (good for paging and Kafka keys);
// UUIDv5 derives a stable id from a name (idempotency keys → the same run ids on retry).
// Thread-safe.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace batchrun {

using Uuid = std::array<uint8_t, 16>;

std::string uuidv7();
std::string uuidv7(int64_t unix_ms);
// A sequence of UUIDv7s for one request (RFC 9562 §6.2, a random start incremented per id): the
// start's counter bits leave room for 2^60 increments; id n = the start + n. The ids stay
// time-ordered and unique, and one request's ids form one contiguous range (ingest's read view
// recognises its own records by that range, and a batch lists in item order).
Uuid uuidv7Start(int64_t unix_ms);
std::string uuidv7Next(const Uuid& start, uint64_t n);
// The start with n added to its low 64 bits: id n of uuidv7Next's sequence, as bytes.
Uuid uuidPlus(const Uuid& start, uint64_t n);
// Deterministic: the same namespace and name always give the same id.
std::string uuidv5(const Uuid& ns, std::string_view name);
std::string formatUuid(const Uuid& u);  // lower case
void appendUuid(std::string& out, const Uuid& u);  // formatUuid onto the end of `out`
bool isUuid(std::string_view s);
// UUID text (any case) to bytes; false if not a UUID.
bool parseUuid(std::string_view text, Uuid& out);

// Namespaces for batchrun's derived ids (fixed forever: changing them changes every derived id).
extern const Uuid kRunNamespace;
extern const Uuid kBatchNamespace;
extern const Uuid kEventNamespace;

}  // namespace batchrun
