#include "batchrun/common/config.hpp"

#include <cstdlib>
#include <sstream>

namespace batchrun {

EnvReader::EnvReader()
    : lookup_([](const std::string& n) -> std::optional<std::string> {
        const char* v = std::getenv(n.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
      }) {}

EnvReader::EnvReader(std::map<std::string, std::string> env)
    : lookup_([env = std::move(env)](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        if (it == env.end()) return std::nullopt;
        return it->second;
      }) {}

void EnvReader::string(const char* name, std::string& out) {
  if (auto v = lookup_(name)) out = *v;
}

void EnvReader::required(const char* name, std::string& out) {
  auto v = lookup_(name);
  if (!v || v->empty()) {
    problems_.push_back(std::string(name) + ": required");
    return;
  }
  out = *v;
}

void EnvReader::integer(const char* name, int64_t& out, int64_t min, int64_t max) {
  auto v = lookup_(name);
  if (!v) return;
  char* end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0) {
    problems_.push_back(std::string(name) + ": '" + *v + "' is not an integer");
    return;
  }
  if (parsed < min || parsed > max) {
    problems_.push_back(std::string(name) + ": " + *v + " is outside " + std::to_string(min) + ".." +
                        std::to_string(max));
    return;
  }
  out = parsed;
}

void EnvReader::integer(const char* name, int& out, int min, int max) {
  int64_t wide = out;
  integer(name, wide, min, max);
  out = static_cast<int>(wide);
}

void EnvReader::boolean(const char* name, bool& out) {
  auto v = lookup_(name);
  if (!v) return;
  if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") {
    out = true;
  } else if (*v == "0" || *v == "false" || *v == "no" || *v == "off") {
    out = false;
  } else {
    problems_.push_back(std::string(name) + ": '" + *v + "' is not a boolean (true/false)");
  }
}

void EnvReader::list(const char* name, std::vector<std::string>& out) {
  auto v = lookup_(name);
  if (!v) return;
  out.clear();
  std::stringstream ss(*v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
}

std::string EnvReader::report() const {
  std::string out;
  for (const auto& p : problems_) out += "config error: " + p + "\n";
  return out;
}

}  // namespace batchrun
