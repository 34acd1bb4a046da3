#pragma once
// Standard Webhooks signatures (https://www.standardwebhooks.com, scheme v1): base64 of
// HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>", keyed with the secret's bytes (the
// part after "whsec_", base64-decoded). Several secrets (rotation) give several space-separated
// "v1,<sig>" entries in one webhook-signature header. Pure functions; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "batchrun/common/result.hpp"

namespace batchrun {

// The raw key bytes of a "whsec_..." secret (a secret without the prefix is taken as base64 too).
Result<std::string> webhookSecretKey(std::string_view secret);

// "v1,<base64>" for one secret.
Result<std::string> signWebhook(std::string_view secret, std::string_view msg_id, int64_t timestamp_s,
                                std::string_view body);

// The webhook-signature header value for every secret, space-separated. Malformed secrets are skipped.
std::string webhookSignatureHeader(const std::vector<std::string>& secrets, std::string_view msg_id,
                                   int64_t timestamp_s, std::string_view body);

}  // namespace batchrun
