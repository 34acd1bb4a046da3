#include "batchrun/cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace batchrun::cli {

Progress::Progress(std::string label, size_t total, bool quiet)
    : label_(std::move(label)), total_(total), quiet_(quiet), tty_(isatty(2) == 1) {}

void Progress::update(size_t done, const std::string& note) {
  last_done_ = done;
  if (quiet_) return;
  int pct = total_ ? static_cast<int>(done * 100 / total_) : 100;
  if (tty_) {
    constexpr int kWidth = 30;
    std::string bar(static_cast<size_t>(pct * kWidth / 100), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%-10s [%s] %zu/%zu (%d%%) %s\x1b[K", label_.c_str(), bar.c_str(), done, total_, pct,
                 note.c_str());
  } else if (pct / 10 != last_step_) {
    last_step_ = pct / 10;
    std::fprintf(stderr, "%s: %zu/%zu (%d%%) %s\n", label_.c_str(), done, total_, pct, note.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& note) {
  if (quiet_) return;
  if (tty_) {
    update(last_done_, note);
    std::fputc('\n', stderr);
  } else if (!note.empty() || last_step_ != static_cast<int>(total_ ? last_done_ * 10 / total_ : 10)) {
    last_step_ = -1;  // the final state, unless that line was just printed
    update(last_done_, note);
  }
}

}  // namespace batchrun::cli
