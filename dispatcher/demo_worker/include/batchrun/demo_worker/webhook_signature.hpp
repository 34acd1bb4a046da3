#pragma once
// Standard Webhooks (v1) signature verification, as a subscriber does it: the secret is
// "whsec_" + base64(key); the signed content is "<webhook-id>.<webhook-timestamp>.<body>";
// webhook-signature holds space-separated "v1,<base64 HMAC-SHA256>" entries, any of which may match
// (several during a secret rotation). Timestamps further than the tolerance from now are refused.
#include <cstdint>
#include <string>

namespace batchrun::demo_worker {

struct SignedWebhook {
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp (Unix seconds)
  std::string signature;  // webhook-signature
  std::string body;
};

// Empty when valid; otherwise why not.
std::string verifyWebhook(const std::string& secret, const SignedWebhook& w, int64_t now_s,
                          int64_t tolerance_s = 300);

}  // namespace batchrun::demo_worker
