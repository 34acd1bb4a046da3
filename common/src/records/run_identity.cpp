#include "batchrun/common/records/run_identity.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "batchrun/common/ids.hpp"

namespace batchrun {

namespace {
constexpr size_t kMaxField = 256;  // identity fields are ids and names; anything longer is not one

// SAX handler: tracks depth, keeps top-level scalars under known keys, ignores everything else.
// Returning true everywhere lets RapidJSON's iterative parser read on until the text itself fails.
struct IdentityScan : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, IdentityScan> {
  RunIdentity& out;
  int depth = 0;
  std::string key;
  explicit IdentityScan(RunIdentity& o) : out(o) {}

  bool topLevelValue() const { return depth == 1; }
  bool Default() {
    key.clear();
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (topLevelValue() && n <= kMaxField) {
      std::string_view v(s, n);
      if (key == "run_id") out.run_id = v;
      else if (key == "batch_id") out.batch_id = v;
      else if (key == "project") out.project = v;
      else if (key == "workflow_id") out.workflow_id = v;
      else if (key == "lane") out.lane = v;
    }
    key.clear();
    return true;
  }
  bool Int64(int64_t v) {
    if (topLevelValue()) {
      if (key == "created_at") out.created_at = v;
      else if (key == "batch_size" && v > 0 && v < (1 << 30)) out.batch_size = static_cast<int>(v);
      else if (key == "batch_index" && v >= 0 && v < (1 << 30)) out.batch_index = static_cast<int>(v);
    }
    key.clear();
    return true;
  }
  bool Int(int v) { return Int64(v); }
  bool Uint(unsigned v) { return Int64(static_cast<int64_t>(v)); }
  bool Uint64(uint64_t v) { return v <= static_cast<uint64_t>(INT64_MAX) ? Int64(static_cast<int64_t>(v)) : Default(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    if (topLevelValue()) key.assign(s, n);
    return true;
  }
  bool StartObject() {
    ++depth;
    if (depth > 1) key.clear();
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    ++depth;
    key.clear();
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};
}  // namespace

std::optional<RunIdentity> peekRunIdentity(std::string_view record, std::string_view project_header,
                                           std::string_view batch_header) {
  RunIdentity id;
  IdentityScan scan(id);
  rapidjson::MemoryStream in(record.data(), record.size());
  rapidjson::Reader reader;
  // Iterative: a record nested 100,000 deep costs heap for the parser's stack, not the thread's.
  // The result does not matter: what was read before a failure is kept.
  reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
               rapidjson::kParseStopWhenDoneFlag>(in, scan);
  if (id.project.empty() && project_header.size() <= kMaxField) id.project = project_header;
  if (id.batch_id.empty() && batch_header.size() <= kMaxField) id.batch_id = batch_header;
  Uuid u;
  if (!parseUuid(id.run_id, u) || id.project.empty()) return std::nullopt;
  id.run_id = formatUuid(u);
  return id;
}

}  // namespace batchrun
