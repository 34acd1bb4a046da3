// Two ingest instances behind a load balancer (issue #25): an endpoint created through one is read,
// disabled, enabled and deleted through the other at once — before that one's view has read the
// record. A miss by id brings the view up to webhooks.endpoints' end before it is a 404, so none of
// these is a false 404. Two WebhookEndpointRoutes on real Pistache endpoints, real broker.
#include <gtest/gtest.h>

#include "api_server.hpp"
#include "sender_env.hpp"

using namespace batchrun;
using namespace batchrun::testing;

TEST(WebhookEndpointApi, AnEndpointCreatedOnOneInstanceIsFoundAtOnceOnAnother) {
  SenderEnv env;
  auto config = permissive();
  config.max_endpoints_per_project = 10'000;  // the rounds delete what they create, but through the other view
  ApiServer a(env.kafka, *env.producer, config);
  ApiServer b(env.kafka, *env.producer, config);
  constexpr int kRounds = 200;
  int false_404 = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto created = a.call("POST", "/v1/webhook-endpoints", R"({"url":"http://127.0.0.1:9/hook"})");
    ASSERT_EQ(created.status, 201) << created.body;
    std::string id = parseJson(created.body)["id"].GetString();
    // Each kind of by-id request in turn, as the first thing the other instance hears of it.
    HttpResponse r;
    switch (i % 3) {
      case 0:
        r = b.call("GET", "/v1/webhook-endpoints/" + id);
        EXPECT_EQ(r.status, 200) << "round " << i << ": " << r.body;
        break;
      case 1:
        r = b.call("POST", "/v1/webhook-endpoints/" + id + "/disable", R"({"reason":"r"})");
        EXPECT_EQ(r.status, 200) << "round " << i << ": " << r.body;
        break;
      default:
        r = b.call("DELETE", "/v1/webhook-endpoints/" + id);
        EXPECT_EQ(r.status, 204) << "round " << i << ": " << r.body;
        break;
    }
    false_404 += r.status == 404 ? 1 : 0;
    if (i % 3 != 2) {
      auto gone = b.call("DELETE", "/v1/webhook-endpoints/" + id);
      EXPECT_EQ(gone.status, 204) << "round " << i << ": " << gone.body;
    }
  }
  EXPECT_EQ(false_404, 0) << "of " << kRounds << " rounds";
  // A true miss is still a 404 (after the view caught up), and another project's endpoint too.
  auto created = a.call("POST", "/v1/webhook-endpoints", R"({"url":"http://127.0.0.1:9/hook"})");
  ASSERT_EQ(created.status, 201);
  std::string id = parseJson(created.body)["id"].GetString();
  EXPECT_EQ(b.call("GET", "/v1/webhook-endpoints/ep_00000000-0000-7000-8000-000000000000").status, 404);
  EXPECT_EQ(b.call("GET", "/v1/webhook-endpoints/" + id, {}, "key-b").status, 404);
}
