#include "batchrun/common/signals.hpp"

#include <csignal>

namespace batchrun {

namespace {
sigset_t shutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

void blockShutdownSignals() {
  sigset_t set = shutdownSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A closed client connection must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
}

int waitForShutdownSignal() {
  sigset_t set = shutdownSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace batchrun
