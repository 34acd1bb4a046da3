#pragma once
// Where the CLI talks to and with which key: flags, then the environment (BATCHRUN_URL,
// BATCHRUN_API_KEY), then one config file of `key = value` lines (url, api_key, timeout_seconds),
// then defaults. The config file is the first of:
//   1. --config PATH;
//   2. the local system's profile, `.state/run/cli.config` in the working directory, that
//      `scripts/run` writes into its checkout: used only when it belongs to this user and nobody
//      else may write it (one in a shared directory such as /tmp is never taken for ours, so a key
//      from the environment is never sent to a URL someone else chose);
//   3. $XDG_CONFIG_HOME/batchrun/config, else ~/.config/batchrun/config.
// One file is read, never two merged, so a URL and a key from different files are never paired.
#include <optional>
#include <string>

namespace batchrun::cli {

struct CliConfig {
  std::string url = "http://127.0.0.1:8080";
  std::string api_key;
  int timeout_seconds = 60;  // one HTTP request
  int max_retries = 30;      // 429/503 and transport errors, per request
};

struct ConfigFlags {
  std::string url, api_key, config_path;
  int timeout_seconds = 0;
};

// The profile path relative to a checkout, as scripts/run writes it (its default BATCHRUN_RUN_DIR).
inline constexpr const char* kLocalProfile = ".state/run/cli.config";

// Fills a CliConfig; returns an error message when a required value is missing or a file is bad.
// `cwd` is where the local profile is looked for (empty: the working directory).
std::optional<std::string> resolveConfig(const ConfigFlags& flags, CliConfig& out, const std::string& cwd = {});

// `dir`'s local profile if it is usable (see above); empty when there is none.
std::string findLocalProfile(const std::string& dir);

std::string defaultConfigPath();

}  // namespace batchrun::cli
