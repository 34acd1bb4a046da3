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
// Deterministic: the same namespace and name always give the same id.
std::string uuidv5(const Uuid& ns, std::string_view name);
std::string formatUuid(const Uuid& u);
bool isUuid(std::string_view s);

// Namespaces for batchrun's derived ids (fixed forever: changing them changes every derived id).
extern const Uuid kRunNamespace;
extern const Uuid kBatchNamespace;
extern const Uuid kEventNamespace;

}  // namespace batchrun
