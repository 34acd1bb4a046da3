#pragma once
// A JSON Lines file of runs, read once and cut into batches. Each non-empty line is one run: its
// `input` (default) or, with items = true, a whole batch item object ({"input": …, "metadata": …,
// "concurrency_key": …}). Every batch carries an Idempotency-Key derived from the submit options,
// its index and the SHA-256 of its own lines, so submitting the same file again — after a crash,
// Ctrl-C or on purpose — yields the same batches and runs, never new ones.
#include <optional>
#include <string>
#include <vector>

namespace batchrun::cli {

struct SubmitOptions {
  std::string workflow;
  std::optional<int> priority;
  bool items = false;
  int batch_size = 1000;
};

struct InputLine {
  int number = 0;    // 1-based line number in the file
  std::string text;  // the line's JSON, whitespace-trimmed
};

struct InputBatch {
  int index = 0;
  std::vector<InputLine> lines;
  std::string idempotency_key;
};

struct InputFile {
  std::vector<InputBatch> batches;
  size_t runs = 0;
};

// Reads and validates every line; on problems returns them all (the first 20) as one message.
std::optional<std::string> readInput(const std::string& path, const SubmitOptions& options, InputFile& out);

// The POST /v1/batches body for one batch.
std::string batchBody(const InputBatch& batch, const SubmitOptions& options);

std::string sha256Hex(const std::string& data);

}  // namespace batchrun::cli
