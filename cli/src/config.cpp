#include "batchrun/cli/config.hpp"

#include <cstdlib>
#include <fstream>

namespace batchrun::cli {

namespace {
std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

std::string defaultConfigPath() {
  if (auto xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/batchrun/config";
  if (auto home = env("HOME"); !home.empty()) return home + "/.config/batchrun/config";
  return {};
}

std::optional<std::string> resolveConfig(const ConfigFlags& flags, CliConfig& out) {
  // Lowest precedence first: file, then environment, then flags.
  std::string path = flags.config_path.empty() ? defaultConfigPath() : flags.config_path;
  std::ifstream in(path);
  if (!in && !flags.config_path.empty()) return "cannot read the config file " + path;
  std::string line;
  for (int n = 1; in && std::getline(in, line); ++n) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) return path + ":" + std::to_string(n) + ": expected `key = value`";
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "url") {
      out.url = value;
    } else if (key == "api_key") {
      out.api_key = value;
    } else if (key == "timeout_seconds") {
      out.timeout_seconds = std::atoi(value.c_str());
    } else {
      return path + ":" + std::to_string(n) + ": unknown key `" + key + "` (known: url, api_key, timeout_seconds)";
    }
  }
  if (auto v = env("BATCHRUN_URL"); !v.empty()) out.url = v;
  if (auto v = env("BATCHRUN_API_KEY"); !v.empty()) out.api_key = v;
  if (!flags.url.empty()) out.url = flags.url;
  if (!flags.api_key.empty()) out.api_key = flags.api_key;
  if (flags.timeout_seconds > 0) out.timeout_seconds = flags.timeout_seconds;
  while (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  if (out.url.rfind("http://", 0) != 0 && out.url.rfind("https://", 0) != 0) {
    return "the API URL must start with http:// or https:// (got `" + out.url + "`)";
  }
  if (out.api_key.empty()) {
    return "no API key: pass --api-key, set BATCHRUN_API_KEY, or put `api_key = ...` in " + path;
  }
  if (out.timeout_seconds <= 0) return "timeout_seconds must be a positive number";
  return std::nullopt;
}

}  // namespace batchrun::cli
