#pragma once
// The local system as scripts/run starts it, for e2e tests: its own state directory, free ports and
// a unique topic prefix on the test broker, the binaries of this build. Stopped (scripts/run stop)
// by the destructor; the state directory with every service's log is kept when a test failed.
// Topology lb (scripts/run --topology lb): two ingest instances behind nginx on apiUrl(), two
// dispatchers; by default the topology BATCHRUN_E2E_TOPOLOGY names (the suites' *_lb_tests runs).
#include <map>
#include <string>

#include "nginx_lb.hpp"

namespace batchrun::testing {

class LocalSystem {
 public:
  explicit LocalSystem(bool lb = lbTopology());
  ~LocalSystem();
  LocalSystem(const LocalSystem&) = delete;
  LocalSystem& operator=(const LocalSystem&) = delete;

  // Runs `scripts/run start`; returns its exit status and fills log with its output.
  int start(std::string& log);
  // The lines of scripts/run's output that say what is missing (empty when nothing is).
  static std::string missingParts(const std::string& log);

  std::string url(const char* port_var) const { return "http://127.0.0.1:" + env.at(port_var); }
  std::string apiUrl() const { return url("BATCHRUN_INGEST_PORT"); }  // the load balancer in lb
  // lb: the load balancer's access log (nginx_lb.hpp), which says which instance answered what.
  std::string lbAccessLogPath() const { return state_dir + "/lb/access.log"; }

  bool lb;

  std::string prefix;
  std::string state_dir;
  std::map<std::string, std::string> env;  // what scripts/run and the services were given
};

std::string readFile(const std::string& path);

}  // namespace batchrun::testing
