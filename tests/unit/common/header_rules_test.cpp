// The outbound header rules (header_rules.hpp) every forwarded header must meet.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/http/header_rules.hpp"

using namespace batchrun;

namespace {

TEST(HeaderRules, NamesMustBeTokens) {
  EXPECT_TRUE(isHeaderToken("X-Tenant"));
  EXPECT_TRUE(isHeaderToken("x_a.b~c!#$%&'*+^`|"));
  for (std::string bad : {"", "X S", "X:S", "X-S\r\nHost", "X\tS", "(x)", "a/b", "a\"b", "é"}) {
    EXPECT_FALSE(isHeaderToken(bad)) << bad;
  }
  EXPECT_FALSE(isHeaderToken(std::string("X\0S", 3)));
}

TEST(HeaderRules, ValuesCarryNoControlCharacters) {
  EXPECT_TRUE(isSafeHeaderValue(""));
  EXPECT_TRUE(isSafeHeaderValue("Bearer abc; q=\"1\"\tx"));
  EXPECT_TRUE(isSafeHeaderValue("caf\xc3\xa9"));  // UTF-8 is obs-text to HTTP: allowed
  for (std::string bad : {"1\r\nContent-Length: 0", "a\rb", "a\nb", "a\x01", "a\x7f"}) {
    EXPECT_FALSE(isSafeHeaderValue(bad)) << bad;
  }
  EXPECT_FALSE(isSafeHeaderValue(std::string("a\0b", 3)));
}

TEST(HeaderRules, ReservedNamesAnyCase) {
  for (const char* name : {"Content-Length", "content-length", "TRANSFER-ENCODING", "Connection", "Keep-Alive",
                           "Upgrade", "TE", "Trailer", "Host", "HOST", "Expect", "Proxy-Authorization",
                           "proxy-connection", "Content-Type", "traceparent", "TraceParent", "Batchrun-Run-Id",
                           "BATCHRUN-SIGNATURE", "batchrun-timestamp", "bAtChRuN-anything"}) {
    EXPECT_TRUE(isReservedHeader(name)) << name;
    EXPECT_TRUE(forwardedHeaderProblem(name, "v")) << name;
  }
  for (const char* name : {"Authorization", "X-Tenant", "tracestate", "Hosts", "X-Batchrun-Note", "Tea"}) {
    EXPECT_FALSE(isReservedHeader(name)) << name;
    EXPECT_FALSE(forwardedHeaderProblem(name, "v")) << name;
  }
}

TEST(HeaderRules, TheSmugglingPayloadIsRefused) {
  const std::string value = "1\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal\r\n\r\n";
  auto problem = forwardedHeaderProblem("X-S", value);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("CR, LF"), std::string::npos) << *problem;
}

}  // namespace
