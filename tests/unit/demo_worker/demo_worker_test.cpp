// The demo worker's pure parts: behaviour read from the input, the answer per attempt, the stats
// counters, and Standard Webhooks verification.
#include <gtest/gtest.h>

#include "batchrun/common/crypto.hpp"
#include "batchrun/demo_worker/behaviour.hpp"
#include "batchrun/demo_worker/stats.hpp"
#include "batchrun/demo_worker/webhook_signature.hpp"

using namespace batchrun::demo_worker;

namespace {

TEST(BehaviourTest, ReadsTheInputAndAnswersPerAttempt) {
  auto p = parseInput(R"({"fail_times":2,"sleep_ms":5,"concurrency_key":"k","x":[1]})");
  ASSERT_TRUE(p.error.empty());
  EXPECT_EQ(p.behaviour.sleep_ms, 5);
  EXPECT_EQ(p.behaviour.concurrency_key, "k");
  EXPECT_EQ(decide(p.behaviour, 1).status, 500);
  EXPECT_EQ(decide(p.behaviour, 2).status, 500);
  auto ok = decide(p.behaviour, 3);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"echo":{"fail_times":2,"sleep_ms":5,"concurrency_key":"k","x":[1]}})");

  EXPECT_EQ(decide(parseInput(R"({"status":429})").behaviour, 9).status, 429);
  auto async = decide(parseInput(R"({"async":true})").behaviour, 1);
  EXPECT_EQ(async.status, 202);
  EXPECT_TRUE(async.post_result);
  EXPECT_EQ(resultBody(parseInput(R"({"async":true})").behaviour),
            R"({"status":"completed","output":{"echo":{"async":true}}})");
  EXPECT_NE(resultBody(parseInput(R"({"async":true,"async_status":"failed"})").behaviour).find("\"failed\""),
            std::string::npos);
  EXPECT_EQ(decide(parseInput("[1,2]").behaviour, 1).body, R"({"echo":[1,2]})");  // not an object: plain echo
  EXPECT_EQ(decide(parseInput(R"({"status":"500","sleep_ms":"x"})").behaviour, 1).status, 200);  // wrong types ignored
  EXPECT_FALSE(parseInput("{").error.empty());
}

TEST(StatsTest, CountsInFlightPerKeyAndResetKeepsRunningOnes) {
  Stats s;
  s.begin("r1", "a");
  s.begin("r2", "a");
  s.begin("r1", "b");
  s.end("a");
  EXPECT_EQ(s.json(),
            R"({"total":3,"in_flight":2,"max_in_flight":3,"per_key":{"a":{"in_flight":1,"max_in_flight":2,"count":2},)"
            R"("b":{"in_flight":1,"max_in_flight":1,"count":1}},"by_run":{"r1":2,"r2":1}})");
  s.end("a");
  s.reset();
  EXPECT_EQ(s.json(),
            R"({"total":0,"in_flight":1,"max_in_flight":1,"per_key":{"b":{"in_flight":1,"max_in_flight":1,"count":0}},"by_run":{}})");
  s.end("b");
  EXPECT_NE(s.json().find("\"in_flight\":0"), std::string::npos);
}

TEST(WebhookSignatureTest, VerifiesLikeASubscriber) {
  std::string key = "a-secret-key-of-some-length-xyz";
  std::string secret = "whsec_" + batchrun::base64Encode(key);
  SignedWebhook w{"msg_1", "1700000000", "", R"({"type":"x"})"};
  std::string sig = batchrun::base64Encode(batchrun::hmacSha256(key, w.id + "." + w.timestamp + "." + w.body));
  w.signature = "v1,AAAA v1," + sig;
  EXPECT_EQ(verifyWebhook(secret, w, 1700000010), "");
  EXPECT_NE(verifyWebhook(secret, w, 1700001000), "");  // too old
  auto tampered = w;
  tampered.body += " ";
  EXPECT_NE(verifyWebhook(secret, tampered, 1700000010), "");
  auto unsigned_ = w;
  unsigned_.signature.clear();
  EXPECT_NE(verifyWebhook(secret, unsigned_, 1700000010), "");
}

}  // namespace
