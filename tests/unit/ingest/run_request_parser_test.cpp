// The strict parsers of POST /v1/batches and POST /v1/workflows/{id}/runs: every kind of problem,
// all of them listed at once with the item index and field path; defaults and metadata merging.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/ingest/write/run_request.hpp"

using namespace batchrun::ingest;

namespace {

const RunRequestLimits kLimits{.max_items = 5, .max_item_bytes = 200};

// "index|field" of every problem, for compact assertions.
std::vector<std::string> where(const ParsedRuns& p) {
  std::vector<std::string> out;
  for (const auto& e : p.errors) out.push_back(std::to_string(e.index) + "|" + e.field);
  return out;
}

bool has(const ParsedRuns& p, int index, const std::string& field, const std::string& message_part = "") {
  for (const auto& e : p.errors) {
    if (e.index == index && e.field == field && e.message.find(message_part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(BatchRequestParser, AcceptsAValidBatchAndAppliesTopLevelDefaults) {
  auto p = parseBatchRequest(R"({"workflow_id":"wf","priority":70,"metadata":{"team":"a","env":"x"},
    "runs":[{"input":{"n":1}},
            {"workflow_id":"other","input":null,"priority":5,"metadata":{"env":"y","k":1},
             "idempotency_key":"item-1","queue":"q","concurrency_key":"tenant-1","timeout_seconds":30,
             "max_attempts":7,"destination":"https://worker.example.com:8443/run"}]})", kLimits);
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].field << ": " << p.errors[0].message;
  ASSERT_EQ(p.items.size(), 2u);
  const auto& a = p.items[0];
  EXPECT_EQ(a.workflow_id, "wf");
  EXPECT_EQ(a.priority, 70);
  EXPECT_EQ(a.inputText(), R"({"n":1})");
  EXPECT_EQ(a.metadata, R"({"team":"a","env":"x"})");
  EXPECT_EQ(a.timeout_seconds, 0);  // unset: the workflow's or the system default applies later
  const auto& b = p.items[1];
  EXPECT_EQ(b.workflow_id, "other");
  EXPECT_EQ(b.inputText(), "null");
  EXPECT_EQ(b.priority, 5);
  EXPECT_EQ(b.metadata, R"({"team":"a","env":"y","k":1})");  // the item's keys win
  EXPECT_EQ(b.idempotency_key, "item-1");
  EXPECT_EQ(b.queue, "q");
  EXPECT_EQ(b.concurrency_key, "tenant-1");
  EXPECT_EQ(b.timeout_seconds, 30);
  EXPECT_EQ(b.max_attempts, 7);
  EXPECT_EQ(b.destination, "https://worker.example.com:8443/run");
}

TEST(BatchRequestParser, BatchItemsDefaultToPriority90) {
  auto p = parseBatchRequest(R"({"runs":[{"workflow_id":"wf","input":1}]})", kLimits);
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.items[0].priority, kBatchDefaultPriority);
  EXPECT_EQ(p.items[0].metadata, "{}");
}

TEST(BatchRequestParser, ListsEveryProblemAtOnceWithIndexAndField) {
  auto p = parseBatchRequest(R"({"priority":0,"metadata":[],"extra":true,"runs":[
      {"workflow_id":"wf","input":1,"priority":101},
      {"workflow_id":"wf","input":1,"priority":"high","metadata":"m","surprise":1},
      "not an object",
      {"input":1},
      {"workflow_id":"bad id!","input":1,"timeout_seconds":0,"max_attempts":1000,"destination":"ftp://x/y",
       "queue":"","concurrency_key":7,"idempotency_key":"has space"}]})",
                             kLimits);
  EXPECT_TRUE(p.items.empty());
  EXPECT_TRUE(has(p, -1, "priority", "1..100"));
  EXPECT_TRUE(has(p, -1, "metadata", "object"));
  EXPECT_TRUE(has(p, -1, "extra", "unknown field"));
  EXPECT_TRUE(has(p, 0, "runs[0].priority", "1..100"));
  EXPECT_TRUE(has(p, 1, "runs[1].priority", "not a string") || has(p, 1, "runs[1].priority", "string"));
  EXPECT_TRUE(has(p, 1, "runs[1].metadata", "object"));
  EXPECT_TRUE(has(p, 1, "runs[1].surprise", "unknown field"));
  EXPECT_TRUE(has(p, 2, "runs[2]", "object"));
  EXPECT_TRUE(has(p, 3, "runs[3].workflow_id", "required"));
  EXPECT_TRUE(has(p, 4, "runs[4].workflow_id"));
  EXPECT_TRUE(has(p, 4, "runs[4].timeout_seconds"));
  EXPECT_TRUE(has(p, 4, "runs[4].max_attempts", "1..100"));
  EXPECT_TRUE(has(p, 4, "runs[4].destination", "http"));
  EXPECT_TRUE(has(p, 4, "runs[4].queue"));
  EXPECT_TRUE(has(p, 4, "runs[4].concurrency_key", "string"));
  EXPECT_TRUE(has(p, 4, "runs[4].idempotency_key"));
  EXPECT_EQ(p.errors.size(), 16u) << ::testing::PrintToString(where(p));
}

TEST(BatchRequestParser, MalformedJsonAndNonObjectBodies) {
  auto p = parseBatchRequest(R"({"runs":[)", kLimits);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("malformed JSON"), std::string::npos);
  auto q = parseBatchRequest("[1,2]", kLimits);
  ASSERT_EQ(q.errors.size(), 1u);
  EXPECT_NE(q.errors[0].message.find("JSON object"), std::string::npos);
}

TEST(BatchRequestParser, ANulByteIsMalformedJson) {
  auto p = parseBatchRequest(std::string(R"({"runs":[]})") + std::string(1, '\0') + "junk", kLimits);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_NE(p.errors[0].message.find("offset 11: a NUL byte"), std::string::npos) << p.errors[0].message;
}

TEST(BatchRequestParser, RunsMustBeANonEmptyArrayWithinTheLimit) {
  EXPECT_TRUE(has(parseBatchRequest(R"({"workflow_id":"wf"})", kLimits), -1, "runs", "required"));
  EXPECT_TRUE(has(parseBatchRequest(R"({"runs":{}})", kLimits), -1, "runs", "array"));
  EXPECT_TRUE(has(parseBatchRequest(R"({"runs":[]})", kLimits), -1, "runs", "has 0 items"));
  auto over = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1},{"input":1},{"input":1},{"input":1},
      {"input":1},{"input":1}]})", kLimits);
  EXPECT_TRUE(has(over, -1, "runs", "has 6 items; it must have 1..5"));
}

TEST(BatchRequestParser, MissingInputIsAnError) {
  EXPECT_TRUE(has(parseBatchRequest(R"({"workflow_id":"wf","runs":[{}]})", kLimits), 0, "runs[0].input", "required"));
}

TEST(BatchRequestParser, OversizedItemNamesTheItem) {
  std::string big(300, 'x');
  auto p = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1},{"input":")" + big + R"("}]})", kLimits);
  EXPECT_TRUE(has(p, 1, "runs[1]", "the limit is 200"));
  EXPECT_EQ(p.errors.size(), 1u);
}

TEST(BatchRequestParser, RepeatedItemIdempotencyKeysAreAnErrorOnEveryItemInvolved) {
  auto p = parseBatchRequest(
      R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"k"},{"input":2,"idempotency_key":"k"}]})", kLimits);
  EXPECT_TRUE(has(p, 1, "runs[1].idempotency_key", "repeats runs[0]"));
  EXPECT_TRUE(has(p, 0, "runs[0].idempotency_key", "is repeated by runs[1]"));
  EXPECT_EQ(p.errors.size(), 2u);
  EXPECT_TRUE(p.items.empty());
  // A third use names the first item again; the first is reported once.
  p = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"k"},{"input":2},)"
                        R"({"input":3,"idempotency_key":"k"},{"input":4,"idempotency_key":"k"}]})",
                        kLimits);
  EXPECT_TRUE(has(p, 2, "runs[2].idempotency_key", "repeats runs[0]"));
  EXPECT_TRUE(has(p, 3, "runs[3].idempotency_key", "repeats runs[0]"));
  EXPECT_TRUE(has(p, 0, "runs[0].idempotency_key", "is repeated by runs[2]"));
  EXPECT_EQ(p.errors.size(), 3u);
  // Keys that differ only in case are different keys.
  const char* cased = R"({"workflow_id":"wf","runs":[{"input":1,"idempotency_key":"k"},)"
                      R"({"input":2,"idempotency_key":"K"}]})";
  EXPECT_TRUE(parseBatchRequest(cased, kLimits).errors.empty());
}

TEST(BatchRequestParser, NonIntegralNumbersAreNotPriorities) {
  auto p = parseBatchRequest(R"({"workflow_id":"wf","runs":[{"input":1,"priority":5.5}]})", kLimits);
  EXPECT_TRUE(has(p, 0, "runs[0].priority", "integer"));
}

TEST(BatchRequestParser, CapsTheNumberOfReportedProblems) {
  RunRequestLimits limits{.max_items = 2000, .max_item_bytes = 1000};
  std::string body = R"({"runs":[)";
  for (int i = 0; i < 1500; ++i) body += std::string(i ? "," : "") + R"({"input":1})";
  body += "]}";
  auto p = parseBatchRequest(body, limits);
  ASSERT_EQ(p.errors.size(), kMaxReportedProblems + 1);
  EXPECT_NE(p.errors.back().message.find("500 more"), std::string::npos);
}

TEST(SingleRunRequestParser, TakesTheWorkflowFromThePathAndDefaultsToPriority50) {
  auto p = parseSingleRunRequest(R"({"input":{"a":1},"metadata":{"m":true}})", "wf-1", kLimits);
  ASSERT_TRUE(p.errors.empty());
  ASSERT_EQ(p.items.size(), 1u);
  EXPECT_EQ(p.items[0].workflow_id, "wf-1");
  EXPECT_EQ(p.items[0].priority, kSingleDefaultPriority);
  EXPECT_EQ(p.items[0].metadata, R"({"m":true})");
}

TEST(SingleRunRequestParser, FieldsAreUnprefixedAndWorkflowIdInTheBodyIsRefused) {
  auto p = parseSingleRunRequest(R"({"input":1,"workflow_id":"x","priority":0,"nope":1})", "wf", kLimits);
  EXPECT_TRUE(has(p, -1, "workflow_id", "path"));
  EXPECT_TRUE(has(p, -1, "priority"));
  EXPECT_TRUE(has(p, -1, "nope", "unknown"));
  EXPECT_EQ(p.errors.size(), 3u);
  EXPECT_TRUE(has(parseSingleRunRequest(R"({"input":1})", "bad/id", kLimits), -1, "workflow_id", "(path)"));
}
