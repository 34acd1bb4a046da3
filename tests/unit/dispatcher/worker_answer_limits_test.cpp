// What a worker answers is bounded like any request (issue #24): a too-deep or non-UTF-8 output
// fails the attempt with invalid_output instead of crashing the dispatcher (or every JSON client
// of the run later); a 4xx body's excerpt in error_message is valid UTF-8.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/common/json.hpp"
#include "batchrun/dispatcher/worker/outcome.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

HttpResult answer(long status, std::string body) {
  HttpResult r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string deep(int levels) { return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']'); }

}  // namespace

TEST(WorkerAnswerLimits, OutputAtTheLimitIsKept) {
  auto o = classify(answer(200, deep(json::maxDepth())));
  EXPECT_EQ(o.kind, Outcome::Kind::kCompleted);
  EXPECT_EQ(o.output, deep(json::maxDepth()));
}

TEST(WorkerAnswerLimits, ATooDeepOutputFailsTheAttempt) {
  // 100,000 levels: the recursive parse and stringify overflowed the dispatcher's stack here.
  for (const std::string& body : {deep(json::maxDepth() + 1), deep(100000), std::string(200000, '[')}) {
    auto o = classify(answer(200, body));
    EXPECT_EQ(o.kind, Outcome::Kind::kFailed);
    EXPECT_EQ(o.error_code, "invalid_output");
    EXPECT_NE(o.error_message.find("nested deeper than 128 levels"), std::string::npos) << o.error_message;
    EXPECT_TRUE(o.output.empty());
  }
}

TEST(WorkerAnswerLimits, AnOutputThatIsNotUtf8FailsTheAttempt) {
  for (const char* body : {"{\"a\":\"\xFF\"}", "plain \xC0\xAF text", "\"\\udc00\""}) {
    auto o = classify(answer(200, body));
    EXPECT_EQ(o.kind, Outcome::Kind::kFailed) << body;
    EXPECT_EQ(o.error_code, "invalid_output") << body;
    EXPECT_NE(o.error_message.find("not valid UTF-8"), std::string::npos) << o.error_message;
  }
  // Text that is not JSON but is UTF-8 is still kept as a JSON string.
  EXPECT_EQ(classify(answer(200, "caf\xC3\xA9")).output, "\"caf\xC3\xA9\"");
}

TEST(WorkerAnswerLimits, AnErrorBodysExcerptIsValidUtf8) {
  // 511 ASCII bytes, then a euro sign the 512-byte excerpt would cut, then more.
  std::string body(511, 'x');
  body += "\xE2\x82\xAC tail \xFF";
  auto o = classify(answer(400, body));
  EXPECT_EQ(o.kind, Outcome::Kind::kFailed);
  EXPECT_TRUE(json::validUtf8(o.error_message)) << o.error_message;
  EXPECT_EQ(o.error_message, std::string(511, 'x') + "…");
  EXPECT_EQ(classify(answer(500, "bad \xFF byte")).error_message, "bad \xEF\xBF\xBD byte");
}
