// batchrun-dispatcher: thin entry point; the logic lives in the library under dispatcher/src.
#include <memory>

#include "batchrun/common/service_main.hpp"
#include "batchrun/dispatcher/app.hpp"

int main(int argc, char** argv) {
  batchrun::dispatcher::Config config;
  std::unique_ptr<batchrun::dispatcher::App> app;
  return batchrun::runService(argc, argv, {
      .name = "batchrun-dispatcher",
      .help = batchrun::dispatcher::kHelp,
      .load = [&](batchrun::EnvReader& env) { batchrun::dispatcher::loadConfig(env, config); },
      .log_level = [&] { return config.service.log_level; },
      .start = [&] { app = std::make_unique<batchrun::dispatcher::App>(config); return app->start(); },
      .stop = [&] { if (app) app->stop(); },
  });
}
