#include "batchrun/common/http/webhook_signature.hpp"

#include "batchrun/common/crypto.hpp"

namespace batchrun {

Result<std::string> webhookSecretKey(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) == kPrefix) secret.remove_prefix(kPrefix.size());
  std::string key;
  if (secret.empty() || !base64Decode(secret, key)) return Error::invalid("webhook secret is not base64");
  return key;
}

Result<std::string> signWebhook(std::string_view secret, std::string_view msg_id, int64_t timestamp_s,
                                std::string_view body) {
  auto key = webhookSecretKey(secret);
  if (!key) return key.error();
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id);
  content += '.';
  content += std::to_string(timestamp_s);
  content += '.';
  content.append(body);
  return "v1," + base64Encode(hmacSha256(*key, content));
}

std::string webhookSignatureHeader(const std::vector<std::string>& secrets, std::string_view msg_id,
                                   int64_t timestamp_s, std::string_view body) {
  std::string out;
  for (const auto& s : secrets) {
    auto sig = signWebhook(s, msg_id, timestamp_s, body);
    if (!sig) continue;
    if (!out.empty()) out += ' ';
    out += *sig;
  }
  return out;
}

}  // namespace batchrun
