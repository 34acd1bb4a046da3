// batchrun-demo-worker: a worker whose behaviour each run's input chooses (see README.md), or with
// --receiver the demo webhook receiver. Thin: flags and env → Config → Worker or Receiver.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "batchrun/common/logging.hpp"
#include "batchrun/common/signals.hpp"
#include "batchrun/demo_worker/config.hpp"
#include "batchrun/demo_worker/receiver.hpp"
#include "batchrun/demo_worker/worker.hpp"

namespace dw = batchrun::demo_worker;

int main(int argc, char** argv) {
  CLI::App cli{
      "batchrun-demo-worker: answers runs POSTed to any path as their input asks:\n"
      "  default 200 {\"echo\": input}; \"sleep_ms\": N waits first; \"status\": S answers S;\n"
      "  \"fail_times\": K answers 500 on attempts 1..K; \"async\": true answers 202 and posts the result\n"
      "  to <api>/v1/runs/{id}/result (\"async_status\": \"failed\" posts a failure). GET /stats, POST /stats/reset.\n"
      "With --receiver: the demo webhook receiver (prints and counts webhooks, verifies signatures).\n"
      "Environment: BATCHRUN_DEMO_WORKER_HOST/_PORT (127.0.0.1:8090), BATCHRUN_DEMO_WORKER_API,\n"
      "  BATCHRUN_DEMO_WORKER_API_KEY, BATCHRUN_DEMO_WORKER_RESULT_DELAY_MS (50), BATCHRUN_DEMO_WORKER_THREADS (2),\n"
      "  BATCHRUN_DEMO_RECEIVER_HOST/_PORT (127.0.0.1:8091), BATCHRUN_DEMO_RECEIVER_SECRET,\n"
      "  BATCHRUN_DEMO_RECEIVER_SECRET_FILE, BATCHRUN_DEMO_RECEIVER_STATUS (200), BATCHRUN_LOG_LEVEL.\n"
      "Flags override the environment."};
  dw::Config config;
  std::string host, api, api_key, secret, secret_file;
  int port = -1, delay = -1, status = -1;
  cli.add_flag("--receiver", config.receiver, "run the demo webhook receiver");
  cli.add_option("--host", host, "listen address");
  cli.add_option("--port", port, "listen port (0: any free port)")->check(CLI::Range(0, 65535));
  cli.add_option("--api", api, "ingest URL async results are posted to, e.g. http://127.0.0.1:8080");
  cli.add_option("--api-key", api_key, "bearer key for posting async results");
  cli.add_option("--result-delay-ms", delay, "delay before posting an async result")->check(CLI::Range(0, 3600000));
  cli.add_option("--secret", secret, "receiver: Standard Webhooks secret (whsec_...)");
  cli.add_option("--secret-file", secret_file, "receiver: file holding the secret, re-read on change");
  cli.add_option("--status", status, "receiver: HTTP status to answer webhooks with")->check(CLI::Range(100, 599));
  CLI11_PARSE(cli, argc, argv);

  batchrun::blockShutdownSignals();
  batchrun::EnvReader env;
  dw::loadConfig(env, config);
  if (!env.ok()) {
    std::fputs(env.report().c_str(), stderr);
    return 2;
  }
  if (!host.empty()) config.host = host;
  if (port >= 0) config.port = port;
  if (!api.empty()) config.api_url = api;
  if (!api_key.empty()) config.api_key = api_key;
  if (delay >= 0) config.result_delay_ms = delay;
  if (!secret.empty()) config.receiver_secret = secret;
  if (!secret_file.empty()) config.receiver_secret_file = secret_file;
  if (status >= 0) config.receiver_status = status;

  const char* name = config.receiver ? "batchrun-demo-receiver" : "batchrun-demo-worker";
  batchrun::log::init(name, config.log_level);
  std::unique_ptr<dw::Worker> worker;
  std::unique_ptr<dw::Receiver> receiver;
  batchrun::Status st;
  if (config.receiver) {
    receiver = std::make_unique<dw::Receiver>(config);
    st = receiver->start();
  } else {
    worker = std::make_unique<dw::Worker>(config);
    st = worker->start();
  }
  if (!st) {
    batchrun::log::error("start-up failed", {{"error", st.error().message}});
    return 1;
  }
  batchrun::waitForShutdownSignal();
  if (worker) worker->stop();
  if (receiver) receiver->stop();
  batchrun::log::info("stopped");
  return 0;
}
