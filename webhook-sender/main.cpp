// batchrun-webhook-sender: thin entry point; the logic lives in the library under webhook-sender/src.
#include <memory>

#include "batchrun/common/service_main.hpp"
#include "batchrun/webhook/app.hpp"

int main(int argc, char** argv) {
  batchrun::webhook::Config config;
  std::unique_ptr<batchrun::webhook::App> app;
  return batchrun::runService(argc, argv, {
      .name = "batchrun-webhook-sender",
      .help = batchrun::webhook::kHelp,
      .load = [&](batchrun::EnvReader& env) { batchrun::webhook::loadConfig(env, config); },
      .log_level = [&] { return config.service.log_level; },
      .start = [&] { app = std::make_unique<batchrun::webhook::App>(config); return app->start(); },
      .stop = [&] { if (app) app->stop(); },
  });
}
