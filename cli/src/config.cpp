#include "batchrun/cli/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

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

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text of a local profile, if `path` is a regular file of this user that only this user may
// write. Checked on the open descriptor, so the file judged is the file read.
std::optional<std::string> readOwnProfile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
      (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    if (n == 0) text = std::move(s);
  }
  ::close(fd);
  return text;
}

// The local profile of `dir`, if usable: its path and text. Only `dir` itself, not its parents (like
// a .env file, unlike .git): which system a command talks to should not depend on how deep in the
// checkout it runs, and the tests, which run the CLI from the build directory inside the checkout
// and expect no config there, must not meet the system a developer started with scripts/run.
std::optional<std::pair<std::string, std::string>> findLocalProfileText(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(dir, ec).lexically_normal();
  if (ec) return std::nullopt;
  std::string candidate = (p / kLocalProfile).lexically_normal().string();
  if (auto text = readOwnProfile(candidate)) return std::pair{candidate, std::move(*text)};
  return std::nullopt;
}

std::optional<std::string> parseFile(const std::string& path, const std::string& text, CliConfig& out) {
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
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
  return std::nullopt;
}
}  // namespace

std::string defaultConfigPath() {
  if (auto xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/batchrun/config";
  if (auto home = env("HOME"); !home.empty()) return home + "/.config/batchrun/config";
  return {};
}

std::string findLocalProfile(const std::string& dir) {
  auto found = findLocalProfileText(dir);
  return found ? found->first : std::string();
}

std::optional<std::string> resolveConfig(const ConfigFlags& flags, CliConfig& out, const std::string& cwd) {
  // Lowest precedence first: one file (the first that exists of --config, the local profile, the
  // user's file), then the environment, then flags.
  std::string path;
  std::optional<std::string> text;
  if (!flags.config_path.empty()) {
    path = flags.config_path;
    text = readFile(path);
    if (!text) return "cannot read the config file " + path;
  } else if (auto local = findLocalProfileText(cwd.empty() ? "." : cwd)) {
    path = std::move(local->first);
    text = std::move(local->second);
  } else {
    path = defaultConfigPath();
    text = readFile(path);
  }
  if (text) {
    if (auto err = parseFile(path, *text, out)) return err;
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
