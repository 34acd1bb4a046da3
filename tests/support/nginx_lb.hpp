#pragma once
// The horizontal topology for tests. lbTopology(): whether the e2e and dialect suites run through a
// load balancer (ctest's *_lb_tests variants set BATCHRUN_E2E_TOPOLOGY=lb; tests/e2e/CMakeLists.txt).
// NginxLb: a real nginx (Debian package) on a free loopback port in front of the given ingest
// ports, run as the current user with its config, pid file and logs in a directory of its own. The
// config is rendered by scripts/nginx-lb from compose/nginx.conf — the upstream settings compose
// runs, round robin — as `scripts/run start --topology lb` does. access.log has one line per
// request, "<upstream> <status> <method> <uri>". Stopped by the destructor; its directory is kept
// when the test failed. Header-only so any test binary linking batchrun_testing can use it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "batchrun/common/ids.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {

inline bool lbTopology() {
  const char* t = std::getenv("BATCHRUN_E2E_TOPOLOGY");
  return t != nullptr && std::string(t) == "lb";
}

class NginxLb {
 public:
  explicit NginxLb(const std::vector<int>& upstream_ports)
      : port_(freePort()), dir_("/tmp/batchrun-lb-" + uuidv7()) {
    std::vector<std::string> args = {sourceDir() + "/scripts/nginx-lb", "conf", dir_, std::to_string(port_)};
    for (int p : upstream_ports) args.push_back("127.0.0.1:" + std::to_string(p));
    ChildProcess conf("/bin/bash", {}, args);
    waitFor([&] { return !conf.running(); }, std::chrono::seconds(30));
    if (int rc = conf.stop(); rc != 0) throw std::runtime_error("scripts/nginx-lb conf failed: " + conf.log());
    nginx_ = std::make_unique<ChildProcess>("/bin/bash", std::map<std::string, std::string>{},
                                            std::vector<std::string>{sourceDir() + "/scripts/nginx-lb", "exec", dir_});
    std::fprintf(stderr, "nginx on %s in front of %zu ingest instances (config and logs in %s)\n", url().c_str(),
                 upstream_ports.size(), dir_.c_str());
  }
  ~NginxLb() {
    nginx_->stop();
    if (::testing::Test::HasFailure()) {
      std::fprintf(stderr, "nginx's config and logs kept in %s\n", dir_.c_str());
    } else {
      std::filesystem::remove_all(dir_);
    }
  }
  NginxLb(const NginxLb&) = delete;
  NginxLb& operator=(const NginxLb&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }
  std::string log() const { return nginx_->log(); }

 private:
  int port_;
  std::string dir_;
  std::unique_ptr<ChildProcess> nginx_;
};

// One line of the load balancer's access.log (format above).
struct LbLogLine {
  std::string upstream, status, method, uri;
};
inline std::vector<LbLogLine> lbAccessLog(const std::string& path) {
  std::ifstream in(path);
  std::vector<LbLogLine> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    LbLogLine l;
    if (fields >> l.upstream >> l.status >> l.method >> l.uri) out.push_back(std::move(l));
  }
  return out;
}

}  // namespace batchrun::testing
