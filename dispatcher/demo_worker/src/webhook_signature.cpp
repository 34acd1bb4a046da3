#include "batchrun/demo_worker/webhook_signature.hpp"

#include <cstdlib>
#include <sstream>

#include "batchrun/common/crypto.hpp"

namespace batchrun::demo_worker {

std::string verifyWebhook(const std::string& secret, const SignedWebhook& w, int64_t now_s, int64_t tolerance_s) {
  if (w.id.empty() || w.timestamp.empty() || w.signature.empty()) {
    return "missing webhook-id, webhook-timestamp or webhook-signature header";
  }
  char* end = nullptr;
  long long ts = std::strtoll(w.timestamp.c_str(), &end, 10);
  if (end == w.timestamp.c_str() || *end != '\0') return "webhook-timestamp is not a number";
  if (ts < now_s - tolerance_s || ts > now_s + tolerance_s) return "webhook-timestamp outside the tolerance";

  std::string encoded = secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret;
  std::string key;
  if (!base64Decode(encoded, key)) return "the configured secret is not whsec_<base64>";
  std::string expected = base64Encode(hmacSha256(key, w.id + "." + w.timestamp + "." + w.body));

  std::istringstream entries(w.signature);
  std::string entry;
  while (entries >> entry) {
    if (entry.rfind("v1,", 0) == 0 && constantTimeEquals(entry.substr(3), expected)) return {};
  }
  return "no v1 signature matches";
}

}  // namespace batchrun::demo_worker
