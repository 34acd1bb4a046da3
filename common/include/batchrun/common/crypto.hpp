#pragma once
// Hashing, signing and encoding on OpenSSL: API-key hashes, Standard Webhooks signatures, worker
// request signatures, webhook secrets. Thread-safe.
#include <string>
#include <string_view>

namespace batchrun {

std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string base64Encode(std::string_view data);
// Empty optional-like: returns false on malformed input.
bool base64Decode(std::string_view in, std::string& out);
// Constant-time equality for secrets and hashes (length leaks, content does not).
bool constantTimeEquals(std::string_view a, std::string_view b);
std::string randomBytes(size_t n);

}  // namespace batchrun
