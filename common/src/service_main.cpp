#include "batchrun/common/service_main.hpp"

#include <cstdio>
#include <cstring>

#include "batchrun/common/logging.hpp"
#include "batchrun/common/signals.hpp"

namespace batchrun {

int runService(int argc, char** argv, const ServiceHooks& hooks) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("%s\n\n%s", hooks.name.c_str(), hooks.help.c_str());
      return 0;
    }
    std::fprintf(stderr, "%s: unknown argument %s (configuration is by environment; see --help)\n",
                 hooks.name.c_str(), argv[i]);
    return 2;
  }
  blockShutdownSignals();
  EnvReader env;
  hooks.load(env);
  if (!env.ok()) {
    std::fputs(env.report().c_str(), stderr);
    return 2;
  }
  log::init(hooks.name, hooks.log_level());
  if (auto st = hooks.start(); !st) {
    log::error("start-up failed", {{"error", st.error().message}});
    hooks.stop();
    return 1;
  }
  int sig = waitForShutdownSignal();
  log::info("shutting down", {{"signal", sig == 15 ? "SIGTERM" : "SIGINT"}});
  hooks.stop();
  log::info("stopped");
  return 0;
}

}  // namespace batchrun
