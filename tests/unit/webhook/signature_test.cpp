#include <gtest/gtest.h>

#include "batchrun/common/http/webhook_signature.hpp"

using namespace batchrun;

TEST(WebhookSignature, MatchesTheStandardWebhooksTestVector) {
  auto sig = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                         R"({"test": 2432232314})");
  ASSERT_TRUE(sig);
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, OneEntryPerSecretSpaceSeparated) {
  std::string h = webhookSignatureHeader({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!",
                                          "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                                         "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})");
  EXPECT_EQ(h, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, RejectsMalformedSecrets) {
  EXPECT_FALSE(signWebhook("whsec_", "id", 1, "{}"));
  EXPECT_FALSE(signWebhook("whsec_abc", "id", 1, "{}"));
}
