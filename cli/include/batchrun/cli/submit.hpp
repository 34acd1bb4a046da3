#pragma once
// `batchrun submit runs.jsonl --workflow W [--priority P] [--wait]`: cuts the file into batches,
// sends each once (journal + Idempotency-Key, see journal.hpp and input_file.hpp), optionally waits
// for every run to finish, and writes results.jsonl ({"line","run_id","batch_id","status","output",
// "error","input"} per line of the file, in file order).
#include <string>

#include "batchrun/cli/config.hpp"
#include "batchrun/cli/input_file.hpp"

namespace batchrun::cli {

struct SubmitFlags {
  std::string file;
  std::string results_path = "results.jsonl";
  SubmitOptions options;
  bool wait = false;
  bool quiet = false;
  int poll_ms = 1000;
};

// Exit codes: 0 done; 1 the API refused or could not be reached; 3 (--wait) some runs did not
// complete; 4 the input file is invalid.
int runSubmit(const SubmitFlags& flags, const CliConfig& config);

inline constexpr int kExitOk = 0;
inline constexpr int kExitApi = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotAllCompleted = 3;
inline constexpr int kExitBadInput = 4;

}  // namespace batchrun::cli
