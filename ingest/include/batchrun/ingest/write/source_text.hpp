#pragma once
// The text of a JSON value exactly as the client sent it, found from a document that RapidJSON
// parsed in place from a copy of the body. Copying that span instead of re-serialising the value
// (json::stringify) was ~10 % of ingest's CPU at high rates (docs/performance.md "Ingest"); it also
// hands workers their input byte for byte.
#include <rapidjson/document.h>

#include <optional>
#include <string_view>

namespace batchrun::ingest {

// Where a body was parsed in place: `source` is the body as received, `copy` the buffer that
// ParseInsitu rewrote. In-place parsing leaves every member name at the offset it had in the body.
struct InPlaceSource {
  std::string_view source;
  const char* copy = nullptr;
};

// The source text of `member`'s value; nullopt if it cannot be located (the caller then
// serialises the value). Only meaningful for a document parsed in place from `src`.
std::optional<std::string_view> sourceText(const InPlaceSource& src, const rapidjson::Value::Member& member);

// The end (one past) of the JSON value starting at `pos` in already-validated JSON `text`.
size_t skipJsonValue(std::string_view text, size_t pos);

}  // namespace batchrun::ingest
