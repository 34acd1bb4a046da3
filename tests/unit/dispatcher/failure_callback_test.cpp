// The failure callback's body (Upstash's failure callback shape) and request (signature, headers),
// and which answers the sender tries again.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "batchrun/common/crypto.hpp"
#include "batchrun/dispatcher/worker/failure_callback_request.hpp"
#include "batchrun/dispatcher/worker/failure_callbacks.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

batchrun::Run failedRun() {
  batchrun::Run r;
  r.run_id = "0190a0b0-0000-7000-8000-000000000001";
  r.batch_id = "b1";
  r.project = "p";
  r.workflow_id = "upstash";
  r.input = R"({"order":42})";
  r.headers = R"({"X-Tenant":"acme"})";
  r.destination = "https://worker.example/api/workflow";
  r.failure_callback = "https://cb.example/failed?k=1";
  r.failure_callback_headers =
      R"({"Authorization":"Bearer cb","Batchrun-Signature":"forged","Content-Type":"text/plain"})";
  r.external_id = "wfr_order-42";
  r.created_at = 1700000000123;
  r.status = RunStatus::kFailed;
  r.attempt = 3;
  r.max_attempts = 3;
  r.error_code = "http_500";
  r.error_message = "boom";
  return r;
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

std::string decoded(const rapidjson::Value& v) {
  std::string out;
  EXPECT_TRUE(base64Decode(std::string(v.GetString(), v.GetStringLength()), out));
  return out;
}

TEST(FailureCallbackBody, HasUpstashFieldsFromTheRunAndTheWorkersLastAnswer) {
  HttpResult answer;
  answer.status = 500;
  answer.body = R"({"message":"db down"})";
  answer.headers = {{"content-type", "application/json"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}};
  auto d = parse(failureCallbackBody(failedRun(), "https://worker.example/api/workflow", &answer));
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(d["status"].GetInt(), 500);
  EXPECT_STREQ(d["header"]["content-type"][0].GetString(), "application/json");
  ASSERT_EQ(d["header"]["set-cookie"].Size(), 2u);  // repeated headers stay together, in order
  EXPECT_STREQ(d["header"]["set-cookie"][1].GetString(), "b=2");
  EXPECT_EQ(decoded(d["body"]), R"({"message":"db down"})");
  EXPECT_EQ(d["retried"].GetInt(), 2);     // three attempts = two retries
  EXPECT_EQ(d["maxRetries"].GetInt(), 2);
  EXPECT_STREQ(d["sourceMessageId"].GetString(), "0190a0b0-0000-7000-8000-000000000001");
  EXPECT_STREQ(d["workflowRunId"].GetString(), "wfr_order-42");
  EXPECT_STREQ(d["topicName"].GetString(), "");
  EXPECT_STREQ(d["url"].GetString(), "https://worker.example/api/workflow");
  EXPECT_STREQ(d["method"].GetString(), "POST");
  EXPECT_STREQ(d["sourceHeader"]["X-Tenant"][0].GetString(), "acme");
  EXPECT_STREQ(d["sourceHeader"]["Content-Type"][0].GetString(), "application/json");
  EXPECT_FALSE(d["sourceHeader"].HasMember("Authorization"));  // the callback's own headers are not the source's
  EXPECT_EQ(decoded(d["sourceBody"]), R"({"order":42})");
  EXPECT_STREQ(d["createdAt"].GetString(), "1700000000123");
  EXPECT_STREQ(d["notBefore"].GetString(), "1700000000123");
  EXPECT_STREQ(d["error"]["code"].GetString(), "http_500");
  EXPECT_STREQ(d["error"]["message"].GetString(), "boom");
}

TEST(FailureCallbackBody, WithoutAnHttpAnswerTheBodyCarriesTheReason) {
  batchrun::Run r = failedRun();
  r.error_code = "connection_error";
  r.error_message = "Couldn't connect to server";
  r.external_id.clear();
  r.attempt = 1;
  HttpResult refused;  // status 0: no HTTP answer
  refused.error = "Couldn't connect to server";
  for (const HttpResult* answer : {static_cast<const HttpResult*>(nullptr), static_cast<const HttpResult*>(&refused)}) {
    auto d = parse(failureCallbackBody(r, "", answer));
    ASSERT_FALSE(d.HasParseError());
    EXPECT_EQ(d["status"].GetInt(), 0);
    EXPECT_TRUE(d["header"].IsObject() && d["header"].ObjectEmpty());
    auto reason = parse(decoded(d["body"]));
    ASSERT_TRUE(reason.IsObject());
    EXPECT_STREQ(reason["error"].GetString(), "connection_error");
    EXPECT_STREQ(reason["message"].GetString(), "Couldn't connect to server");
    EXPECT_EQ(d["retried"].GetInt(), 0);
    EXPECT_STREQ(d["workflowRunId"].GetString(), r.run_id.c_str());  // no dialect id: the run id
  }
}

TEST(FailureCallbackBody, EscapesWhatItEmbeds) {
  batchrun::Run r = failedRun();
  r.error_message = "quote \" and newline \n";
  HttpResult answer;
  answer.status = 503;
  answer.headers = {{"x-odd", "a\"b"}};
  answer.body = std::string("\0\xff binary", 9);
  auto d = parse(failureCallbackBody(r, "https://w/\"", &answer));
  ASSERT_FALSE(d.HasParseError());
  EXPECT_STREQ(d["header"]["x-odd"][0].GetString(), "a\"b");
  EXPECT_EQ(decoded(d["body"]), std::string("\0\xff binary", 9));
  EXPECT_STREQ(d["error"]["message"].GetString(), "quote \" and newline \n");
}

const std::string* header(const HttpRequest& req, const std::string& name) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : req.headers) {
    if (k == name) {
      EXPECT_EQ(found, nullptr) << "header sent twice: " << name;
      found = &v;
    }
  }
  return found;
}

TEST(FailureCallbackRequest, IsSignedLikeAWorkerRequestAndForwardsTheCallbackHeaders) {
  batchrun::Run r = failedRun();
  const int64_t now_ms = 1700000005000;
  HttpRequest req = buildFailureCallbackRequest(r, R"({"status":500})", "s3cret", 7000, now_ms);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://cb.example/failed?k=1");
  EXPECT_EQ(req.timeout_ms, 7000);
  EXPECT_EQ(req.body, R"({"status":500})");
  ASSERT_NE(header(req, "Authorization"), nullptr);
  EXPECT_EQ(*header(req, "Authorization"), "Bearer cb");
  EXPECT_EQ(header(req, "Batchrun-Signature"), nullptr);  // a forwarded header cannot pose as ours
  EXPECT_EQ(header(req, "Content-Type"), nullptr);
  EXPECT_EQ(*header(req, "content-type"), "application/json");
  EXPECT_EQ(*header(req, "batchrun-callback"), "failure");
  EXPECT_EQ(*header(req, "batchrun-run-id"), r.run_id);
  EXPECT_EQ(*header(req, "batchrun-batch-id"), "b1");
  ASSERT_NE(header(req, "traceparent"), nullptr);
  EXPECT_EQ(*header(req, "batchrun-timestamp"), "1700000005");
  // Computed here from the documented scheme, not with the dispatcher's helper.
  std::string expected = "v1," + base64Encode(hmacSha256("s3cret", r.run_id + ".1700000005." + req.body));
  EXPECT_EQ(*header(req, "batchrun-signature"), expected);

  HttpRequest unsigned_req = buildFailureCallbackRequest(r, "{}", "", 7000, now_ms);
  EXPECT_EQ(header(unsigned_req, "batchrun-signature"), nullptr);
  EXPECT_EQ(header(unsigned_req, "batchrun-timestamp"), nullptr);
}

TEST(FailureCallbackRetry, OnlyTransientFailuresAreTriedAgain) {
  auto result = [](long status, bool blocked = false) {
    HttpResult r;
    r.status = status;
    r.blocked = blocked;
    return r;
  };
  EXPECT_TRUE(callbackRetryable(result(0)));          // connection error, timeout
  EXPECT_TRUE(callbackRetryable(result(500)));
  EXPECT_TRUE(callbackRetryable(result(503)));
  EXPECT_TRUE(callbackRetryable(result(408)));
  EXPECT_TRUE(callbackRetryable(result(429)));
  EXPECT_FALSE(callbackRetryable(result(0, true)));   // refused by the outbound policy
  EXPECT_FALSE(callbackRetryable(result(400)));
  EXPECT_FALSE(callbackRetryable(result(404)));
  EXPECT_FALSE(callbackRetryable(result(301)));       // redirects are not followed
}

}  // namespace
