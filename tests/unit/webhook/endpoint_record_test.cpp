#include <gtest/gtest.h>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/http/destination_url.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"
#include "batchrun/common/records/webhook_records.hpp"

using namespace batchrun;

TEST(WebhookEndpointRecord, RoundTripsEveryField) {
  WebhookEndpoint e;
  e.id = newEndpointId();
  e.project = "p";
  e.url = "https://example.com/hook?a=\"b\"";
  e.event_types = {"workflow_run.*", "batch.completed"};
  e.description = "d";
  e.secrets = {{newWebhookSecret(), 0}, {newWebhookSecret(64), 123}};
  e.rate_limit_per_second = 7;
  e.disabled = true;
  e.disabled_reason = "gone";
  e.enabled_at = 3;
  e.created_at = 1;
  e.updated_at = 2;
  auto back = decodeEndpoint(encodeEndpoint(e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->url, e.url);
  EXPECT_EQ(back->event_types, e.event_types);
  ASSERT_EQ(back->secrets.size(), 2u);
  EXPECT_EQ(back->secrets[1].secret, e.secrets[1].secret);
  EXPECT_EQ(back->secrets[1].expires_at, 123);
  EXPECT_EQ(back->rate_limit_per_second, 7);
  EXPECT_TRUE(back->disabled);
  EXPECT_EQ(back->dialect, "native");
  EXPECT_EQ(back->updated_at, 2);
  EXPECT_EQ(back->enabled_at, 3);
  EXPECT_EQ(endpointPublicJson(e).find("enabled_at"), std::string::npos);  // internal to the sender
  EXPECT_EQ(endpointPublicJson(e).find("whsec_"), std::string::npos);
  EXPECT_NE(endpointPublicJson(e, "whsec_x").find("\"secret\":\"whsec_x\""), std::string::npos);
  EXPECT_FALSE(decodeEndpoint("{}"));
}

TEST(WebhookEndpointRecord, RecordsWithoutEnabledAtWereNeverReEnabled) {
  auto back = decodeEndpoint(R"({"id":"ep_1","project":"p","url":"https://x/","disabled":true})");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->enabled_at, 0);
}

TEST(WebhookEndpointRecord, DisableAndEnableSetTheStateAndMoveUpdatedAtForward) {
  WebhookEndpoint e;
  e.updated_at = 1000;
  disableEndpoint(e, "endpoint answered 410 Gone", 2000);
  EXPECT_TRUE(e.disabled);
  EXPECT_EQ(e.disabled_reason, "endpoint answered 410 Gone");
  EXPECT_EQ(e.updated_at, 2000);
  EXPECT_EQ(e.enabled_at, 0);  // disabling leaves the failure clock's start alone
  // A writer whose clock is behind the last writer's still produces the newer record.
  enableEndpoint(e, 1500);
  EXPECT_FALSE(e.disabled);
  EXPECT_EQ(e.disabled_reason, "");
  EXPECT_EQ(e.updated_at, 2001);
  EXPECT_EQ(e.enabled_at, 2001);
  enableEndpoint(e, 5000);  // enabling again restarts the clock again
  EXPECT_EQ(e.enabled_at, 5000);
  disableEndpoint(e, "maintenance", 4000);
  EXPECT_EQ(e.updated_at, 5001);
  EXPECT_EQ(e.enabled_at, 5000);
}

TEST(WebhookEndpointRecord, SecretsAreWhsecBase64OfTheRequestedLength) {
  std::string key;
  std::string s = newWebhookSecret();
  ASSERT_EQ(s.rfind("whsec_", 0), 0u);
  ASSERT_TRUE(base64Decode(s.substr(6), key));
  EXPECT_EQ(key.size(), 32u);
  ASSERT_TRUE(base64Decode(newWebhookSecret(8).substr(6), key));
  EXPECT_EQ(key.size(), 24u);  // clamped to 24..64
}

TEST(WebhookEndpointRecord, FiltersMatchExactTypesAndPrefixes) {
  WebhookEndpoint e;
  EXPECT_TRUE(endpointWants(e, "anything"));
  e.event_types = {"workflow_run.*", "batch.completed"};
  EXPECT_TRUE(endpointWants(e, "workflow_run.completed"));
  EXPECT_TRUE(endpointWants(e, "batch.completed"));
  EXPECT_FALSE(endpointWants(e, "workflow_run."));
  EXPECT_FALSE(endpointWants(e, "workflow_runs.completed"));
  EXPECT_FALSE(endpointWants(e, "endpoint.disabled"));
  EXPECT_TRUE(validEventTypeFilter("workflow_run.*"));
  EXPECT_TRUE(validEventTypeFilter("endpoint.disabled"));
  EXPECT_FALSE(validEventTypeFilter("*"));
  EXPECT_FALSE(validEventTypeFilter("work*flow"));
  EXPECT_FALSE(validEventTypeFilter("has space"));
  EXPECT_FALSE(validEventTypeFilter(""));
}

TEST(WebhookEndpointRecord, RotationKeepsTheOldSecretSigningForTheGracePeriod) {
  WebhookEndpoint e;
  e.secrets = {{"whsec_old", 0}, {"whsec_expired", 50}};
  std::string fresh = rotateSecret(e, 100, 1000);
  ASSERT_EQ(e.secrets.size(), 2u);
  EXPECT_EQ(e.secrets[0].secret, fresh);
  EXPECT_EQ(e.secrets[0].expires_at, 0);
  EXPECT_EQ(e.secrets[1].secret, "whsec_old");
  EXPECT_EQ(e.secrets[1].expires_at, 1100);
  EXPECT_EQ(signingSecrets(e, 1099), (std::vector<std::string>{fresh, "whsec_old"}));
  EXPECT_EQ(signingSecrets(e, 1100), (std::vector<std::string>{fresh}));
}

TEST(WebhookRecords, DeliveryDoneReplayRoundTrip) {
  WebhookDelivery d;
  d.endpoint_id = "ep_1";
  d.project = "p";
  d.event_id = "evt_1";
  d.event_type = "workflow_run.completed";
  d.body = R"({"test": 2432232314, "s":"\"q\"\n"})";  // exact bytes, spaces included
  d.attempt = 3;
  d.due_at = 99;
  d.failing_since = 5;
  d.last_status = 503;
  auto back = decodeWebhookRecord(encodeWebhookDelivery(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, WebhookRetryRecord::Kind::kDelivery);
  EXPECT_EQ(back->delivery.body, d.body);
  EXPECT_EQ(back->delivery.attempt, 3);
  EXPECT_EQ(back->delivery.due_at, 99);
  EXPECT_EQ(back->delivery.failing_since, 5);
  EXPECT_EQ(back->delivery.last_status, 503);
  EXPECT_EQ(decodeWebhookRecord(encodeWebhookDead(d))->kind, WebhookRetryRecord::Kind::kDead);
  auto done = decodeWebhookRecord(encodeWebhookDone({"ep_1", "evt_1", 4}));
  ASSERT_TRUE(done);
  EXPECT_EQ(done->done.attempt, 4);
  auto replay = decodeWebhookRecord(encodeWebhookReplay({"rpl_1", "ep_1", "p", 10, 20, 30}));
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->replay.since, 10);
  EXPECT_EQ(replay->replay.until, 20);
  EXPECT_FALSE(decodeWebhookRecord(R"({"kind":"other"})"));
}

TEST(DestinationUrl, RefusesPrivateLiteralsAndPlainHttpByDefault) {
  DestinationRules strict;
  for (const char* url : {"https://127.0.0.1/", "https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.1/",
                          "https://169.254.169.254/", "https://[::1]/", "https://[fe80::1]/", "https://0.0.0.0/",
                          "https://localhost/", "https://a.localhost/", "https://100.64.0.1/"}) {
    EXPECT_FALSE(checkDestinationUrl(url, strict)) << url;
  }
  EXPECT_TRUE(checkDestinationUrl("https://93.184.216.34/hook", strict));
  EXPECT_FALSE(checkDestinationUrl("http://93.184.216.34/hook", strict));
  EXPECT_FALSE(checkDestinationUrl("https://user:pw@93.184.216.34/", strict));
  EXPECT_FALSE(checkDestinationUrl("not a url", strict));
  EXPECT_FALSE(checkDestinationUrl("", strict));
  EXPECT_TRUE(checkDestinationUrl("http://127.0.0.1:8091/hook", {true, true}));
}
