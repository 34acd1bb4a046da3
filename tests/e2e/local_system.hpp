#pragma once
// The local system as scripts/run starts it, for e2e tests: its own state directory, free ports and
// a unique topic prefix on the test broker, the binaries of this build. Stopped (scripts/run stop)
// by the destructor; the state directory with every service's log is kept when a test failed.
#include <map>
#include <string>

namespace batchrun::testing {

class LocalSystem {
 public:
  LocalSystem();
  ~LocalSystem();
  LocalSystem(const LocalSystem&) = delete;
  LocalSystem& operator=(const LocalSystem&) = delete;

  // Runs `scripts/run start`; returns its exit status and fills log with its output.
  int start(std::string& log);
  // The lines of scripts/run's output that say what is missing (empty when nothing is).
  static std::string missingParts(const std::string& log);

  std::string url(const char* port_var) const { return "http://127.0.0.1:" + env.at(port_var); }
  std::string apiUrl() const { return url("BATCHRUN_INGEST_PORT"); }

  std::string prefix;
  std::string state_dir;
  std::map<std::string, std::string> env;  // what scripts/run and the services were given
};

std::string readFile(const std::string& path);

}  // namespace batchrun::testing
