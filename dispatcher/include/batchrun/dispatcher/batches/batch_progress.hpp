#pragma once
// Records on `batches.progress` (key batch_id): one per terminal run of a batch, and one `done`
// marker once batch.completed has been produced (so a tracker replaying the topic after a restart
// does not announce the batch again).
#include <cstdint>
#include <string>
#include <string_view>

#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/result.hpp"
#include "batchrun/common/records/run.hpp"

namespace batchrun::dispatcher {

struct BatchProgress {
  std::string batch_id;
  std::string project;
  std::string run_id;      // empty on a done marker
  std::string status;      // terminal status name
  int batch_size = 0;
  int64_t created_at = 0;  // the batch's (its runs') creation time
  bool done = false;       // marker: batch.completed was produced
};

std::string encodeBatchProgress(const BatchProgress& p);
Result<BatchProgress> decodeBatchProgress(std::string_view json);

// The progress record of a run that just became terminal.
OutMessage makeProgressRecord(const std::string& topic, const Run& run);
OutMessage makeDoneMarker(const std::string& topic, const std::string& batch_id, const std::string& project);

}  // namespace batchrun::dispatcher
