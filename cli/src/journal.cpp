#include "batchrun/cli/journal.hpp"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "batchrun/common/json_parse.hpp"

namespace batchrun::cli {

std::optional<std::string> Journal::load() {
  entries_.clear();
  std::ifstream in(path_);
  if (!in) return std::nullopt;  // first run
  std::string line;
  while (std::getline(in, line)) {
    rapidjson::Document d;
    const bool parsed = json::parseRecord(d, line).ok();
    if (!parsed || !d.IsObject()) continue;  // torn write at a crash
    JournalEntry e;
    if (!d.HasMember("index") || !d["index"].IsInt() || !d.HasMember("key") || !d["key"].IsString() ||
        !d.HasMember("batch_id") || !d["batch_id"].IsString() || !d.HasMember("run_ids") || !d["run_ids"].IsArray()) {
      continue;
    }
    e.index = d["index"].GetInt();
    e.key = d["key"].GetString();
    e.batch_id = d["batch_id"].GetString();
    for (const auto& id : d["run_ids"].GetArray()) {
      if (id.IsString()) e.run_ids.emplace_back(id.GetString());
    }
    entries_.push_back(std::move(e));
  }
  return std::nullopt;
}

const JournalEntry* Journal::find(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<std::string> Journal::append(const JournalEntry& e) {
  std::string line = "{\"index\":" + std::to_string(e.index) + ",\"key\":\"" + e.key + "\",\"batch_id\":\"" +
                     e.batch_id + "\",\"run_ids\":[";
  for (size_t i = 0; i < e.run_ids.size(); ++i) line += (i ? ",\"" : "\"") + e.run_ids[i] + "\"";
  line += "]}\n";
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return "cannot write the journal " + path_ + ": " + std::strerror(errno);
  // A newline first if a crash left a torn line, so this entry starts on its own line.
  off_t size = ::lseek(fd, 0, SEEK_END);
  if (size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, size - 1) == 1 && last != '\n') line.insert(0, "\n");
  }
  ssize_t n = ::write(fd, line.data(), line.size());
  bool ok = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return "cannot write the journal " + path_ + ": " + std::strerror(errno);
  entries_.push_back(e);
  return std::nullopt;
}

}  // namespace batchrun::cli
