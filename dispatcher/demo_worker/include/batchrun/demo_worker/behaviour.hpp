#pragma once
// What the demo worker does with one run, read from the run's input (DESIGN "Executing a run"):
// default 200 {"echo": input}; "sleep_ms" waits first; "status" answers that code on every attempt;
// "fail_times": K answers 500 on attempts 1..K then 200; "async": true answers 202 and posts the
// result later ("async_status": "failed" posts a failure instead). Pure functions, no I/O.
#include <cstdint>
#include <optional>
#include <string>

namespace batchrun::demo_worker {

struct Behaviour {
  int64_t sleep_ms = 0;
  std::optional<int> status;
  int64_t fail_times = 0;
  bool async = false;
  bool async_fail = false;
  std::string concurrency_key;  // the input's "concurrency_key", if a string
  std::string input = "null";   // the input's compact JSON text, for the echo
};

// Parses a request body. Invalid JSON is an error message; any valid JSON is an input (behaviour
// fields are only read from objects; fields of the wrong type are ignored, as a worker would).
struct ParsedInput {
  Behaviour behaviour;
  std::string error;  // non-empty: the body was not JSON
};
ParsedInput parseInput(const std::string& body);

struct Answer {
  int status = 200;
  std::string body;
  bool post_result = false;  // 202: post the result to the API afterwards
};

// The answer for this attempt (1-based, from the batchrun-attempt header).
Answer decide(const Behaviour& b, int64_t attempt);

// The body posted to /v1/runs/{id}/result for an async run.
std::string resultBody(const Behaviour& b);

inline constexpr int64_t kMaxSleepMs = 3600 * 1000;

}  // namespace batchrun::demo_worker
