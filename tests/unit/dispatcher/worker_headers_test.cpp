// What the dispatcher puts on the wire from a run record's headers: never a CR or LF, never a
// second framing, Host or batchrun-* header — whatever an older ingest let into the record.
#include <gtest/gtest.h>

#include <string>

#include "batchrun/dispatcher/worker/failure_callback_request.hpp"
#include "batchrun/dispatcher/worker/worker_request.hpp"

using namespace batchrun;
using namespace batchrun::dispatcher;

namespace {

// The smuggling payload of issue #24, as JSON text inside the record's headers object.
constexpr const char* kSmuggled =
    R"(1\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: internal\r\n\r\n)";

batchrun::Run hostileRun() {
  batchrun::Run run;
  run.run_id = "0190a0b0-0000-7000-8000-000000000001";
  run.workflow_id = "upstash";
  run.attempt = 1;
  run.input = R"({"x":1})";
  run.headers = std::string(R"({"X-S":")") + kSmuggled + R"(",)" +
                R"("X-Ok":"kept","Content-Length":"0","Host":"internal","Transfer-Encoding":"chunked",)"
                R"("Batchrun-Run-Id":"spoof","BATCHRUN-SIGNATURE":"forged","TraceParent":"00-x",)"
                R"("Bad Name":"v","X-Nul":"a\u0000b"})";
  run.failure_callback = "https://cb.example/f";
  run.failure_callback_headers = std::string(R"({"Authorization":"Bearer cb","X-S":")") + kSmuggled +
                                 R"(","Batchrun-Run-Id":"spoof","HOST":"internal"})";
  run.concurrency_key = "tenant\r\nX-Injected: 1";
  run.traceparent = "00-abc\r\nX-Injected: 1";
  return run;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int count(const HttpRequest& req, const std::string& lower_name) {
  int n = 0;
  for (const auto& [k, v] : req.headers) n += lower(k) == lower_name;
  return n;
}

void expectNothingSplitsTheRequest(const HttpRequest& req) {
  for (const auto& [k, v] : req.headers) {
    EXPECT_EQ(k.find_first_of(std::string(" \t\r\n\0:", 6)), std::string::npos) << k;
    EXPECT_EQ(v.find_first_of(std::string("\r\n\0", 3)), std::string::npos) << k << ": " << v;
  }
  for (const char* reserved : {"content-length", "host", "transfer-encoding", "x-s", "bad name", "x-nul"}) {
    EXPECT_EQ(count(req, reserved), 0) << reserved;
  }
  EXPECT_EQ(count(req, "batchrun-run-id"), 1);
  EXPECT_EQ(count(req, "traceparent"), 1);
  EXPECT_EQ(count(req, "content-type"), 1);
}

TEST(WorkerRequestHeaders, ARecordWithSmugglingHeadersNeverPutsCrLfOnTheWire) {
  const batchrun::Run run = hostileRun();
  HttpRequest req = buildWorkerRequest(run, {"http://w/run", "s3cret", 1'700'000'060'000, 5000}, 1'700'000'000'000);
  expectNothingSplitsTheRequest(req);
  EXPECT_EQ(count(req, "batchrun-signature"), 1);
  EXPECT_EQ(count(req, "x-ok"), 1);  // a good header still goes
  EXPECT_EQ(count(req, "batchrun-concurrency-key"), 0);  // its value would split the request
  for (const auto& [k, v] : req.headers) {
    if (k == "batchrun-run-id") {
      EXPECT_EQ(v, run.run_id);
    }
    if (k == "traceparent") {
      EXPECT_EQ(v.size(), 55u) << v;  // derived: the record's was unusable
    }
  }
}

std::string header(const HttpRequest& req, const std::string& lower_name) {
  for (const auto& [k, v] : req.headers) {
    if (lower(k) == lower_name) return v;
  }
  return {};
}

TEST(WorkerRequestHeaders, AttemptIdIsStablePerAttemptAndDiffersBetweenAttempts) {
  batchrun::Run run = hostileRun();
  run.headers = R"({"Batchrun-Attempt-Id":"spoof"})";  // never the record's own
  run.attempt = 2;
  HttpRequest first = buildWorkerRequest(run, {"http://w/run", "", 1'700'000'060'000, 5000}, 1'700'000'000'000);
  // The same attempt executed again (by a new owner after a crash, later): the same key.
  HttpRequest again = buildWorkerRequest(run, {"http://w/run", "", 1'700'000'090'000, 5000}, 1'700'000'030'000);
  EXPECT_EQ(count(first, "batchrun-attempt-id"), 1);
  EXPECT_EQ(header(first, "batchrun-attempt-id"), run.run_id + ":2");
  EXPECT_EQ(header(again, "batchrun-attempt-id"), header(first, "batchrun-attempt-id"));
  run.attempt = 3;
  HttpRequest next = buildWorkerRequest(run, {"http://w/run", "", 1'700'000'060'000, 5000}, 1'700'000'000'000);
  EXPECT_EQ(header(next, "batchrun-attempt-id"), run.run_id + ":3");
}

TEST(WorkerRequestHeaders, TheFailureCallbackRequestIsJustAsSafe) {
  HttpRequest req = buildFailureCallbackRequest(hostileRun(), "{}", "s3cret", 7000, 1'700'000'000'000);
  expectNothingSplitsTheRequest(req);
  EXPECT_EQ(count(req, "authorization"), 1);
}

}  // namespace
