#pragma once
// A real HTTP receiver for failure callbacks (127.0.0.1, port 0, on the demo worker's HttpServer):
// records every POST with its path, headers (lower-case names) and body, and answers 500 to the
// first `fail_first` requests, then 200. Thread-safe.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "batchrun/demo_worker/http_server.hpp"

namespace batchrun::testing {

struct CallbackHit {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int answered = 0;
};

class CallbackReceiver {
 public:
  explicit CallbackReceiver(int fail_first = 0);
  ~CallbackReceiver();
  std::string url(const std::string& path) const;
  std::vector<CallbackHit> hits(const std::string& path) const;

  // Called by the HTTP handler: records the request, returns the status to answer.
  int receive(CallbackHit hit);

 private:
  const int fail_first_;
  mutable std::mutex mu_;
  int received_ = 0;
  std::vector<CallbackHit> hits_;
  demo_worker::HttpServer server_;  // last: its handler calls receive()
};

}  // namespace batchrun::testing
