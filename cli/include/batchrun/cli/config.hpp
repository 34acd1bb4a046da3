#pragma once
// Where the CLI talks to and with which key: flags, then the environment (BATCHRUN_URL,
// BATCHRUN_API_KEY), then a config file (--config, else $XDG_CONFIG_HOME/batchrun/config, else
// ~/.config/batchrun/config) of `key = value` lines (url, api_key, timeout_seconds), then defaults.
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

// Fills a CliConfig; returns an error message when a required value is missing or a file is bad.
std::optional<std::string> resolveConfig(const ConfigFlags& flags, CliConfig& out);

std::string defaultConfigPath();

}  // namespace batchrun::cli
