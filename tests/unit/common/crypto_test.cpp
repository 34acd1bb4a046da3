#include <gtest/gtest.h>

#include "batchrun/common/crypto.hpp"

using namespace batchrun;

TEST(Crypto, Sha256Hex) {
  EXPECT_EQ(sha256Hex("dev-key"), sha256Hex("dev-key"));
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, StandardWebhooksVector) {
  // The Standard Webhooks specification's test vector.
  std::string secret;
  ASSERT_TRUE(base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret));
  std::string signed_content = std::string("msg_p5jXN8AQM9LWM0D4loKWxJek") + "." + "1614265330" + "." +
                               R"({"test": 2432232314})";
  EXPECT_EQ("v1," + base64Encode(hmacSha256(secret, signed_content)), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Crypto, Base64RoundTripAndRejects) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(base64Decode(base64Encode(s), back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(base64Decode("abc", out));
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
  EXPECT_EQ(randomBytes(32).size(), 32u);
  EXPECT_NE(randomBytes(16), randomBytes(16));
}
