#pragma once
// Starts a service binary as a child process with extra environment, its output in a log file;
// stops it with a signal and reports how it exited. For integration and e2e tests.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace batchrun::testing {

class ChildProcess {
 public:
  ChildProcess(std::string path, std::map<std::string, std::string> env, std::vector<std::string> args = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running();
  // Sends sig and waits up to timeout_ms; returns the exit status (128+signal if killed), -1 on timeout.
  int stop(int sig = 15, int timeout_ms = 20000);
  void kill9();
  std::string log() const;  // what the child wrote to stdout/stderr so far
  pid_t pid() const { return pid_; }

 private:
  std::string path_;
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

// The first sanitizer report (ThreadSanitizer, AddressSanitizer, LeakSanitizer, UBSan) in a
// process's output, from its first line on; empty when there is none. A child process's report
// does not fail the test by itself: its exit code is often not looked at (stopped with a signal,
// started detached by scripts/run), so ~ChildProcess and the e2e teardown look for one.
std::string sanitizerReport(const std::string& output);

// A free TCP port on 127.0.0.1 (bound and released; good enough for tests that start children).
int freePort();

}  // namespace batchrun::testing
