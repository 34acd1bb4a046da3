#include "batchrun/ingest/write/run_ids.hpp"

namespace batchrun::ingest {

// A namespace of batchrun's own (next to common's run/batch/event ones), fixed forever: changing it
// changes every id derived from a per-item key.
const Uuid kItemKeyNamespace = {0x6b, 0x1e, 0x6d, 0x1c, 0x2f, 0x3a, 0x4e, 0x5b,
                                0x9a, 0x10, 0x5b, 0x8e, 0x1d, 0x7c, 0x00, 0x04};

std::string batchIdFor(std::string_view project, std::string_view request_key, int64_t now_ms) {
  if (request_key.empty()) return uuidv7(now_ms);
  std::string name;
  name.reserve(project.size() + request_key.size() + 1);
  name.append(project).append("/").append(request_key);
  return uuidv5(kBatchNamespace, name);
}

std::string runIdFor(std::string_view project, std::string_view request_key, int index, std::string_view item_key,
                     const Uuid& start) {
  std::string name;
  if (!item_key.empty()) {
    name.append(project).append("/").append(item_key);
    return uuidv5(kItemKeyNamespace, name);
  }
  if (request_key.empty()) return uuidv7Next(start, static_cast<uint64_t>(index));
  name.append(project).append("/").append(request_key).append("/").append(std::to_string(index));
  return uuidv5(kRunNamespace, name);
}

}  // namespace batchrun::ingest
