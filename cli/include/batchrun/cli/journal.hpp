#pragma once
// The progress journal next to the input file (<file>.batchrun-journal): one JSON line per batch the
// API accepted, appended and fsync'd before the next batch is sent. A re-run skips the batches it
// lists; a batch accepted but not yet journalled (a crash in between) is sent again with the same
// Idempotency-Key and the API answers with the same batch, so nothing is submitted twice either way.
#include <optional>
#include <string>
#include <vector>

namespace batchrun::cli {

struct JournalEntry {
  int index = 0;
  std::string key;       // the batch's Idempotency-Key
  std::string batch_id;
  std::vector<std::string> run_ids;  // in line order
};

class Journal {
 public:
  static std::string pathFor(const std::string& input_path) { return input_path + ".batchrun-journal"; }
  explicit Journal(std::string path) : path_(std::move(path)) {}

  // Reads the entries already there (a torn last line from a crash is ignored).
  std::optional<std::string> load();
  const JournalEntry* find(const std::string& key) const;
  std::optional<std::string> append(const JournalEntry& e);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<JournalEntry> entries_;
};

}  // namespace batchrun::cli
