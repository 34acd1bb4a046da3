#include "batchrun/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>

#include "batchrun/cli/commands.hpp"
#include "batchrun/cli/config.hpp"
#include "batchrun/cli/submit.hpp"

namespace batchrun::cli {

namespace {
// Ctrl-C: the journal is append-only and fsync'd per batch, so stopping anywhere is safe; say so.
void onInterrupt(int) {
  static const char msg[] =
      "\ninterrupted. Run the same command again to continue: batches already sent are skipped and none is "
      "sent twice.\n";
  ssize_t ignored = ::write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(130);
}
}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{
      "batchrun: submit runs in bulk and follow them.\n"
      "Configuration: flags, then BATCHRUN_URL / BATCHRUN_API_KEY, then one config file of\n"
      "`url = …`, `api_key = …`, `timeout_seconds = …` lines: --config, else ./.state/run/cli.config (the\n"
      "local system's, written by scripts/run in its checkout), else ~/.config/batchrun/config.\n"
      "Exit codes: 0 ok, 1 API error or unreachable, 2 usage or configuration, 3 runs not all completed,\n"
      "4 invalid input file, 130 interrupted."};
  app.require_subcommand(1);
  ConfigFlags cf;
  bool quiet = false;
  app.add_option("--url", cf.url, "API base URL (default http://127.0.0.1:8080)");
  app.add_option("--api-key", cf.api_key, "API key (prefer BATCHRUN_API_KEY: flags show in ps)");
  app.add_option("--config", cf.config_path, "config file");
  app.add_option("--timeout", cf.timeout_seconds, "seconds per HTTP request (default 60)");
  app.add_flag("-q,--quiet", quiet, "no progress output");

  std::function<int(ApiClient&, const CliConfig&)> action;

  SubmitFlags sf;
  int priority = 0;
  auto* submit = app.add_subcommand("submit", "submit every line of a JSON Lines file as a run");
  submit->add_option("file", sf.file, "runs.jsonl: one run input per line (or item objects with --items)")
      ->required()->check(CLI::ExistingFile);
  submit->add_option("-w,--workflow", sf.options.workflow, "workflow id")->required();
  auto* prio = submit->add_option("-p,--priority", priority, "1 (first) … 100 (last); default: the API's")
                   ->check(CLI::Range(1, 100));
  submit->add_flag("--wait", sf.wait, "wait until every run is finished, then write outputs to the results");
  submit->add_flag("--items", sf.options.items, "lines are whole batch items ({\"input\":…, \"metadata\":…, …})");
  submit->add_option("-o,--results", sf.results_path, "results file (default results.jsonl)");
  submit->add_option("--batch-size", sf.options.batch_size, "runs per request (default 1000)")->check(CLI::Range(1, 1000));
  submit->callback([&] {
    if (*prio) sf.options.priority = priority;
    sf.quiet = quiet;
    action = [&](ApiClient&, const CliConfig& c) { return runSubmit(sf, c); };
  });

  std::string id;
  auto* runs = app.add_subcommand("runs", "read runs");
  runs->require_subcommand(1);
  runs->add_subcommand("get", "one run")->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return runsGet(a, id); }; })
      ->add_option("run_id", id)->required();
  RunsListFlags lf;
  auto* list = runs->add_subcommand("list", "runs, one JSON object per line");
  list->add_option("--batch", lf.batch_id, "batch id");
  list->add_option("--status", lf.status, "queued|running|retrying|completed|failed|cancelled|timed_out");
  list->add_option("--workflow", lf.workflow_id, "workflow id");
  list->add_option("--created-after", lf.created_after, "RFC 3339 time");
  list->add_option("--limit", lf.limit, "page size (1…1000)")->check(CLI::Range(1, 1000));
  list->add_flag("--all", lf.all, "every page, not just the first");
  list->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return runsList(a, lf); }; });

  auto* batch = app.add_subcommand("batch", "follow or cancel a batch");
  batch->require_subcommand(1);
  batch->add_subcommand("status", "counts per status and progress")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return batchStatus(a, id); }; })
      ->add_option("batch_id", id)->required();
  batch->add_subcommand("cancel", "cancel its queued and running runs")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return batchCancel(a, id); }; })
      ->add_option("batch_id", id)->required();
  batch->add_subcommand("watch", "a progress bar until every run is finished")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return batchWatch(a, id, quiet); }; })
      ->add_option("batch_id", id)->required();

  auto* hooks = app.add_subcommand("webhooks", "webhook endpoints");
  hooks->require_subcommand(1);
  hooks->add_subcommand("list", "every endpoint (without secrets)")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return webhooksList(a); }; });
  std::string url, description;
  std::vector<std::string> types;
  auto* create = hooks->add_subcommand("create", "a new endpoint; prints its signing secret once");
  create->add_option("--url", url, "where to POST events")->required();
  create->add_option("--event-type", types, "event type or prefix.* (repeatable; default: every type)");
  create->add_option("--description", description, "free text");
  create->callback([&] {
    action = [&](ApiClient& a, const CliConfig&) { return webhooksCreate(a, url, types, description); };
  });
  hooks->add_subcommand("delete", "delete an endpoint")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return webhooksDelete(a, id); }; })
      ->add_option("endpoint_id", id)->required();
  hooks->add_subcommand("enable", "resume deliveries to an endpoint (e.g. one the sender disabled)")
      ->callback([&] { action = [&](ApiClient& a, const CliConfig&) { return webhooksEnable(a, id); }; })
      ->add_option("endpoint_id", id)->required();
  std::string reason;
  auto* disable = hooks->add_subcommand("disable", "pause deliveries to an endpoint");
  disable->add_option("endpoint_id", id)->required();
  disable->add_option("--reason", reason, "shown as the endpoint's disabled_reason");
  disable->callback([&] {
    action = [&](ApiClient& a, const CliConfig&) { return webhooksDisable(a, id, reason); };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  CliConfig config;
  if (auto err = resolveConfig(cf, config)) {
    std::fprintf(stderr, "error: %s\n", err->c_str());
    return kExitUsage;
  }
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code;
  {
    ApiClient api(config, [quiet](const std::string& m) {
      if (!quiet) std::fprintf(stderr, "note: %s\n", m.c_str());
    });
    code = action ? action(api, config) : kExitUsage;
  }
  curl_global_cleanup();
  return code;
}

}  // namespace batchrun::cli
