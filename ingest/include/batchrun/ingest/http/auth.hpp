#pragma once
// Bearer API keys → projects. Keys are configured only as SHA-256 hashes
// (BATCHRUN_API_KEYS="<sha256hex>:<project>,..."); a presented key is hashed and compared against
// every stored hash in constant time. Immutable after construction; thread-safe.
#include <pistache/http.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/result.hpp"

namespace batchrun::ingest {

class ApiKeys {
 public:
  ApiKeys() = default;
  // Parses "hash:project,hash:project"; every malformed entry is reported.
  static Result<ApiKeys> parse(std::string_view spec);
  void add(std::string sha256_hex, std::string project);
  // The project of the key in an Authorization header value ("Bearer <key>"), if valid.
  std::optional<std::string> projectFor(std::string_view authorization) const;
  // The project of a raw key (for dialects that pass the token elsewhere, e.g. a query parameter).
  std::optional<std::string> projectForKey(std::string_view key) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string hash;  // lower-case hex
    std::string project;
  };
  std::vector<Entry> entries_;
};

// The caller's project from the request's Authorization header, if the key is valid.
std::optional<std::string> authenticate(const ApiKeys& keys, const Pistache::Http::Request& request);

}  // namespace batchrun::ingest
