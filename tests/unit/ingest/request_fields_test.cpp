// URL, workflow id and idempotency key checks shared by the request parsers.
#include <gtest/gtest.h>

#include "batchrun/ingest/http/request_fields.hpp"

using namespace batchrun::ingest;

TEST(UrlProblem, AcceptsAbsoluteHttpAndHttpsUrls) {
  EXPECT_FALSE(urlProblem("http://127.0.0.1:8090/run"));
  EXPECT_FALSE(urlProblem("https://worker.example.com/path?x=1#f"));
  EXPECT_FALSE(urlProblem("HTTPS://Worker.Example.com"));
  EXPECT_FALSE(urlProblem("http://[::1]:8080/run"));
  EXPECT_FALSE(urlProblem("http://[2001:db8::1]/"));
}

TEST(UrlProblem, RefusesEverythingElseWithAReason) {
  EXPECT_EQ(urlProblem("ftp://example.com").value_or(""), "must be an absolute http or https URL");
  EXPECT_EQ(urlProblem("example.com/x").value_or(""), "must be an absolute http or https URL");
  EXPECT_EQ(urlProblem("http:///path").value_or(""), "must name a host");
  EXPECT_EQ(urlProblem("http://user:pw@example.com/").value_or(""), "must not contain credentials");
  EXPECT_EQ(urlProblem("http://exa mple.com/").value_or(""), "must not contain spaces or control characters");
  EXPECT_EQ(urlProblem("http://example.com:0/").value_or(""), "has an invalid port");
  EXPECT_EQ(urlProblem("http://example.com:99999/").value_or(""), "has an invalid port");
  EXPECT_EQ(urlProblem("http://example.com:/").value_or(""), "has an invalid port");
  EXPECT_EQ(urlProblem("http://example.com:8a/").value_or(""), "has an invalid port");
  EXPECT_EQ(urlProblem("http://[::1/").value_or(""), "has a malformed IPv6 host");
  EXPECT_TRUE(urlProblem("http://example.com/" + std::string(3000, 'a')));
}

TEST(WorkflowIdProblem, AllowsSafeCharactersOnly) {
  EXPECT_FALSE(workflowIdProblem("demo"));
  EXPECT_FALSE(workflowIdProblem("invoice.extract_v2:prod-1"));
  EXPECT_TRUE(workflowIdProblem(""));
  EXPECT_TRUE(workflowIdProblem("a/b"));
  EXPECT_TRUE(workflowIdProblem("has space"));
  EXPECT_TRUE(workflowIdProblem(std::string(129, 'a')));
}

TEST(IdempotencyKeyProblem, PrintableAsciiUpTo255) {
  EXPECT_FALSE(idempotencyKeyProblem("order-42/retry:1"));
  EXPECT_TRUE(idempotencyKeyProblem(""));
  EXPECT_TRUE(idempotencyKeyProblem("a b"));
  EXPECT_TRUE(idempotencyKeyProblem(std::string(256, 'k')));
  EXPECT_TRUE(idempotencyKeyProblem("caf\xc3\xa9"));
}
