#include "batchrun/ingest/http/auth.hpp"

#include <algorithm>
#include <cctype>

#include "batchrun/common/crypto.hpp"

namespace batchrun::ingest {

Result<ApiKeys> ApiKeys::parse(std::string_view spec) {
  ApiKeys keys;
  std::string problems;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view entry = spec.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    size_t colon = entry.find(':');
    std::string hash(entry.substr(0, colon == std::string_view::npos ? entry.size() : colon));
    std::transform(hash.begin(), hash.end(), hash.begin(), ::tolower);
    bool hex = hash.size() == 64 && std::all_of(hash.begin(), hash.end(), ::isxdigit);
    if (colon == std::string_view::npos || colon + 1 >= entry.size() || !hex) {
      // Never echo the entry: it might be a plaintext key pasted by mistake.
      problems += (problems.empty() ? "" : "; ") + std::string("entry ") + std::to_string(keys.entries_.size() + 1) +
                  " is not <sha256-hex>:<project>";
      continue;
    }
    keys.add(std::move(hash), std::string(entry.substr(colon + 1)));
  }
  if (!problems.empty()) return Error::invalid("BATCHRUN_API_KEYS: " + problems);
  return keys;
}

void ApiKeys::add(std::string sha256_hex, std::string project) {
  entries_.push_back({std::move(sha256_hex), std::move(project)});
}

std::optional<std::string> ApiKeys::projectFor(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size()) return std::nullopt;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kBearer[i]))) {
      return std::nullopt;
    }
  }
  return projectForKey(authorization.substr(kBearer.size()));
}

std::optional<std::string> ApiKeys::projectForKey(std::string_view key) const {
  if (key.empty()) return std::nullopt;
  std::string hash = sha256Hex(key);
  std::optional<std::string> found;
  // Compare against every entry, matched or not, so timing says nothing about which one matched.
  for (const auto& e : entries_) {
    if (constantTimeEquals(hash, e.hash) && !found) found = e.project;
  }
  return found;
}

std::optional<std::string> authenticate(const ApiKeys& keys, const Pistache::Http::Request& request) {
  auto header = request.headers().tryGetRaw("Authorization");
  if (!header) return std::nullopt;
  return keys.projectFor(header->value());
}

}  // namespace batchrun::ingest
