#pragma once
// Control records on runs.control, produced by ingest to the run's own partition (Run::partition)
// so they reach the dispatcher that owns the run: cancellation requests and async worker results
// (POST /v1/runs/{id}/result after a 202).
#include <cstdint>
#include <string>
#include <string_view>

#include "batchrun/common/result.hpp"

namespace batchrun {

struct ControlMessage {
  enum class Type { kCancel, kResult };
  Type type = Type::kCancel;
  std::string run_id;
  std::string project;
  // kResult only:
  bool success = true;         // completed (true) or failed (false)
  std::string output;          // raw JSON; empty: none
  std::string error_code;
  std::string error_message;
  int attempt = 0;             // the attempt reporting (0: whichever is current)
  int64_t requested_at = 0;
};

std::string encodeControl(const ControlMessage& m);
Result<ControlMessage> decodeControl(std::string_view json);

}  // namespace batchrun
