// The subscription API (ingest's WebhookEndpointRoutes on a real Pistache endpoint, real broker):
// create/list/get/delete scoped to the caller's project, strict validation, the URL policy, and —
// with a webhook-sender running — secret rotation and replay end to end.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/crypto.hpp"
#include "batchrun/common/records/events.hpp"
#include "api_server.hpp"
#include "batchrun/ingest/app.hpp"
#include "sender_env.hpp"
#include "wait.hpp"

using namespace batchrun;
using namespace batchrun::testing;
using namespace std::chrono_literals;

TEST(WebhookEndpointApi, CreateListGetDeleteScopedToTheProject) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto created = api.call("POST", "/v1/webhook-endpoints",
                          R"({"url":"http://127.0.0.1:9/hook","event_types":["workflow_run.*"],"description":"d","rate_limit_per_second":5})");
  ASSERT_EQ(created.status, 201) << created.body;
  auto d = parseJson(created.body);
  std::string id = d["id"].GetString(), secret = d["secret"].GetString();
  EXPECT_EQ(id.rfind("ep_", 0), 0u);
  ASSERT_EQ(secret.rfind("whsec_", 0), 0u);
  std::string key;
  ASSERT_TRUE(base64Decode(secret.substr(6), key));
  EXPECT_GE(key.size(), 24u);
  EXPECT_EQ(d["rate_limit_per_second"].GetInt(), 5);

  auto one = api.call("GET", "/v1/webhook-endpoints/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body.find("whsec_"), std::string::npos);
  EXPECT_EQ(one.body.find("secret"), std::string::npos);
  auto list = api.call("GET", "/v1/webhook-endpoints");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(id), std::string::npos);
  EXPECT_EQ(list.body.find("whsec_"), std::string::npos);

  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints/" + id, {}, "key-b").status, 404);
  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints", {}, "key-b").body, R"({"data":[]})");
  EXPECT_EQ(api.call("DELETE", "/v1/webhook-endpoints/" + id, {}, "key-b").status, 404);
  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints", {}, "").status, 401);

  EXPECT_EQ(api.call("DELETE", "/v1/webhook-endpoints/" + id).status, 204);
  EXPECT_EQ(api.call("GET", "/v1/webhook-endpoints/" + id).status, 404);
  // A fresh view built from the topic agrees: the tombstone deleted it.
  ApiServer again(env.kafka, *env.producer, permissive());
  ASSERT_TRUE(waitFor([&] { return again.call("GET", "/v1/webhook-endpoints").status == 200; }, 10s));
  EXPECT_EQ(again.call("GET", "/v1/webhook-endpoints").body, R"({"data":[]})");
}

TEST(WebhookEndpointApi, InvalidBodiesNameEveryFieldAtOnce) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto r = api.call("POST", "/v1/webhook-endpoints",
                    R"({"event_types":["workflow_run.completed","bad type"],"rate_limit_per_second":-1,"colour":"red"})");
  ASSERT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("index":1,"field":"event_types[1]")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("field":"rate_limit_per_second")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("field":"colour")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("field":"url")"), std::string::npos);
  EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints", "[1]").status, 400);
  auto replay = api.call("POST", "/v1/webhook-endpoints/ep_missing/replay", R"({"since":"x"})");
  EXPECT_EQ(replay.status, 404);
}

TEST(WebhookEndpointApi, PrivateAndPlainHttpUrlsAreRefusedUnlessAllowed) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, ingest::WebhookEndpointsConfig{});
  for (const char* url : {"https://127.0.0.1/x", "https://localhost/x", "https://10.1.2.3/x", "https://[::1]/x",
                          "https://192.168.0.1/", "https://[fd00::1]/"}) {
    auto r = api.call("POST", "/v1/webhook-endpoints", std::string(R"({"url":")") + url + "\"}");
    EXPECT_EQ(r.status, 400) << url;
    EXPECT_NE(r.body.find("private"), std::string::npos) << url << r.body;
  }
  // A cloud metadata service is refused as such (even where private destinations are allowed).
  auto metadata = api.call("POST", "/v1/webhook-endpoints", R"({"url":"https://169.254.169.254/latest"})");
  EXPECT_EQ(metadata.status, 400);
  EXPECT_NE(metadata.body.find("metadata"), std::string::npos) << metadata.body;
  auto plain = api.call("POST", "/v1/webhook-endpoints", R"({"url":"http://93.184.216.34/x"})");
  EXPECT_EQ(plain.status, 400);
  EXPECT_NE(plain.body.find("https"), std::string::npos);
  auto ok = api.call("POST", "/v1/webhook-endpoints", R"({"url":"https://93.184.216.34/x"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(api.call("POST", "/v1/webhook-endpoints", R"({"url":"ftp://93.184.216.34/x"})").status, 400);
}

TEST(WebhookEndpointApi, RotatedSecretsBothSignDuringTheGracePeriod) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto created = api.call("POST", "/v1/webhook-endpoints", "{\"url\":\"" + env.receiver.url("rot") + "\"}");
  ASSERT_EQ(created.status, 201);
  std::string id = parseJson(created.body)["id"].GetString();
  std::string old_secret = parseJson(created.body)["secret"].GetString();
  auto rotated = api.call("POST", "/v1/webhook-endpoints/" + id + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string new_secret = parseJson(rotated.body)["secret"].GetString();
  EXPECT_NE(new_secret, old_secret);
  env.receiver.expectSecrets("rot", {old_secret, new_secret});
  auto app = env.startSender(env.senderConfig());
  env.produceEvents("pa", 2, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("rot").size() == 2; }, 30s));
  EXPECT_EQ(env.receiver.invalid("rot"), 0u);
}

TEST(WebhookEndpointApi, ReplayRedeliversTheWindow) {
  SenderEnv env;
  ApiServer api(env.kafka, *env.producer, permissive());
  auto created = api.call("POST", "/v1/webhook-endpoints", "{\"url\":\"" + env.receiver.url("rp") + "\"}");
  ASSERT_EQ(created.status, 201);
  std::string id = parseJson(created.body)["id"].GetString();
  env.receiver.expectSecrets("rp", {parseJson(created.body)["secret"].GetString()});
  int64_t t0 = SystemClock::instance().nowMs() - 1000;
  auto app = env.startSender(env.senderConfig());
  auto ids = env.produceEvents("pa", 10, event_type::kCompleted);
  env.produceEvents("pb", 5, event_type::kCompleted);  // another project's: never replayed here
  ASSERT_TRUE(waitFor([&] { return env.receiver.count("rp") == 10; }, 30s));

  auto r = api.call("POST", "/v1/webhook-endpoints/" + id + "/replay", "{\"since\":\"" + formatRfc3339(t0) + "\"}");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(waitFor([&] { return env.receiver.count("rp") == 20; }, 30s)) << env.receiver.count("rp");
  std::map<std::string, int> per_id;
  for (const auto& h : env.receiver.hits("rp")) per_id[h.id]++;
  for (const auto& i : ids) EXPECT_EQ(per_id[i], 2) << i;
  EXPECT_EQ(env.receiver.invalid("rp"), 0u);

  // A window before the events replays nothing.
  auto empty = api.call("POST", "/v1/webhook-endpoints/" + id + "/replay",
                        "{\"since\":\"" + formatRfc3339(t0 - 60000) + "\",\"until\":\"" + formatRfc3339(t0 - 30000) + "\"}");
  ASSERT_EQ(empty.status, 202);
  auto marker = env.produceEvents("pa", 1, event_type::kCompleted);
  ASSERT_TRUE(waitFor([&] { return env.receiver.ids("rp").count(marker[0]) == 1; }, 30s));
  EXPECT_EQ(env.receiver.count("rp"), 21u);
}

TEST(WebhookEndpointApi, ServedByTheIngestApp) {
  SenderEnv env;
  ingest::IngestConfig config;
  config.service.kafka = env.kafka;
  config.service.http_port = 0;
  config.service.create_topics = false;
  config.api_keys.add(sha256Hex("key-a"), "pa");
  config.webhook_endpoints = permissive();
  ingest::App app(config);
  auto st = app.start();
  ASSERT_TRUE(st) << st.error().message;
  std::string base = "http://127.0.0.1:" + std::to_string(app.port());
  std::map<std::string, std::string> h = {{"Authorization", "Bearer key-a"}, {"Content-Type", "application/json"}};
  auto created = httpRequest("POST", base + "/v1/webhook-endpoints", "{\"url\":\"" + env.receiver.url("x") + "\"}", h);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = parseJson(created.body)["id"].GetString();
  EXPECT_EQ(httpRequest("GET", base + "/v1/webhook-endpoints/" + id, {}, h).status, 200);
  app.stop();
}
