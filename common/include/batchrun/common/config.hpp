#pragma once
// Reads BATCHRUN_* environment variables into typed config structs. Every problem is collected so a
// misconfigured service reports them all at once before exiting. Not thread-safe; use at start-up.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace batchrun {

class EnvReader {
 public:
  // lookup defaults to getenv; tests inject a map.
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;
  EnvReader();
  explicit EnvReader(std::map<std::string, std::string> env);

  void string(const char* name, std::string& out);
  void integer(const char* name, int64_t& out, int64_t min, int64_t max);
  void integer(const char* name, int& out, int min, int max);
  void boolean(const char* name, bool& out);
  void list(const char* name, std::vector<std::string>& out);  // comma-separated
  void required(const char* name, std::string& out);
  // Adds a problem found by a caller's own cross-field check.
  void problem(std::string message) { problems_.push_back(std::move(message)); }

  std::optional<std::string> raw(const char* name) const { return lookup_(name); }
  const std::vector<std::string>& problems() const { return problems_; }
  bool ok() const { return problems_.empty(); }
  // One line per problem, for printing before exit.
  std::string report() const;

 private:
  Lookup lookup_;
  std::vector<std::string> problems_;
};

}  // namespace batchrun
