#pragma once
// Configuration of batchrun-demo-worker: one struct, defaults on the members, read from the
// environment (BATCHRUN_DEMO_WORKER_*, BATCHRUN_DEMO_RECEIVER_*) and then overridden by flags.
#include <string>

#include "batchrun/common/config.hpp"

namespace batchrun::demo_worker {

struct Config {
  bool receiver = false;           // run as the demo webhook receiver instead of the worker
  std::string host = "127.0.0.1";
  int port = 8090;                 // receiver mode: BATCHRUN_DEMO_RECEIVER_PORT, default 8091
  int threads = 2;
  std::string log_level = "info";

  // Worker: where "async": true runs post their result (the ingest API), and its bearer key.
  std::string api_url;             // e.g. http://127.0.0.1:8080
  std::string api_key;
  int result_delay_ms = 50;        // "shortly after" the 202

  // Receiver: Standard Webhooks secret (whsec_...) to verify signatures with; or a file holding it,
  // re-read when it changes (scripts/run writes it after registering the endpoint).
  std::string receiver_secret;
  std::string receiver_secret_file;
  int receiver_status = 200;       // what the receiver answers (e.g. 500 to watch retries)
  bool print = true;               // receiver prints one line per webhook on stdout
};

inline constexpr int kDefaultReceiverPort = 8091;

// Reads the environment; `receiver` must already be set (it picks the port variable).
void loadConfig(EnvReader& env, Config& out);

}  // namespace batchrun::demo_worker
