#pragma once
// A progress bar on stderr: redrawn in place on a terminal, a line per 10 % step otherwise (logs,
// CI). Not thread-safe.
#include <cstddef>
#include <string>

namespace batchrun::cli {

class Progress {
 public:
  Progress(std::string label, size_t total, bool quiet = false);
  void update(size_t done, const std::string& note = {});
  void finish(const std::string& note = {});

 private:
  std::string label_;
  size_t total_;
  bool quiet_;
  bool tty_;
  int last_step_ = -1;
  size_t last_done_ = 0;
};

}  // namespace batchrun::cli
