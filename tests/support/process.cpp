#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "batchrun/common/ids.hpp"
#include "wait.hpp"

namespace batchrun::testing {

ChildProcess::ChildProcess(std::string path, std::map<std::string, std::string> env, std::vector<std::string> args)
    : path_(path) {
  log_path_ = "/tmp/batchrun-test-" + uuidv7() + ".log";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Shutdown signals are blocked in the test process's threads; the child must start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(path.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (running()) kill9();
  if (auto report = sanitizerReport(log()); !report.empty()) {
    ADD_FAILURE() << path_ << " reported:\n" << report;
  }
  std::remove(log_path_.c_str());
}

std::string sanitizerReport(const std::string& output) {
  size_t first = std::string::npos;
  for (const char* mark : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "runtime error:"}) {
    first = std::min(first, output.find(mark));
  }
  if (first == std::string::npos) return {};
  const size_t line = output.rfind('\n', first);
  return output.substr(line == std::string::npos ? 0 : line + 1, 6000);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_ != -1) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

int ChildProcess::stop(int sig, int timeout_ms) {
  if (running()) ::kill(pid_, sig);
  if (!waitFor([&] { return !running(); }, std::chrono::milliseconds(timeout_ms))) return -1;
  return status_;
}

void ChildProcess::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  waitFor([&] { return !running(); }, std::chrono::seconds(10));
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace batchrun::testing
