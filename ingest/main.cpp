// batchrun-ingest: the HTTP front door. Logic lives in batchrun_ingest (ingest/src).
#include <memory>

#include "batchrun/common/service_main.hpp"
#include "batchrun/ingest/app.hpp"

int main(int argc, char** argv) {
  batchrun::ingest::IngestConfig config;
  std::unique_ptr<batchrun::ingest::App> app;
  return batchrun::runService(argc, argv, {
      .name = "batchrun-ingest",
      .help = batchrun::ingest::kIngestHelp,
      .load = [&](batchrun::EnvReader& env) { batchrun::ingest::loadIngestConfig(env, config); },
      .log_level = [&] { return config.service.log_level; },
      .start = [&] { app = std::make_unique<batchrun::ingest::App>(config); return app->start(); },
      .stop = [&] { if (app) app->stop(); },
  });
}
