#include "batchrun/ingest/write/run_builder.hpp"

#include <optional>
#include <unordered_map>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/write/run_ids.hpp"

namespace batchrun::ingest {

std::vector<Run> buildRuns(std::vector<RunItem>&& items, const RunContext& ctx, const std::vector<Lane>& lanes,
                           const WorkflowView* workflows, std::vector<std::string_view>* body_inputs) {
  if (body_inputs) body_inputs->assign(items.size(), {});
  // A batch usually names one or a few workflows: look each up once, not once per item.
  std::unordered_map<std::string, std::optional<Workflow>> seen;
  std::vector<Run> runs(items.size());
  const int n = static_cast<int>(items.size());
  const Uuid id_start = uuidv7Start(ctx.created_at);
  for (int i = 0; i < n; ++i) {
    RunItem& item = items[static_cast<size_t>(i)];
    Run& r = runs[static_cast<size_t>(i)];
    auto [wf, fresh] = seen.try_emplace(item.workflow_id);
    if (fresh && workflows) wf->second = workflows->get(ctx.project, item.workflow_id);
    const Workflow* w = wf->second ? &*wf->second : nullptr;

    r.run_id = runIdFor(ctx.project, ctx.request_key, i, item.idempotency_key, id_start);
    r.batch_id = ctx.batch_id;
    r.project = ctx.project;
    r.workflow_id = std::move(item.workflow_id);
    if (item.input_text.empty()) {
      r.input = std::move(item.input);
    } else if (body_inputs) {
      r.input.clear();
      (*body_inputs)[static_cast<size_t>(i)] = item.input_text;
    } else {
      r.input = std::string(item.input_text);
    }
    r.metadata = std::move(item.metadata);
    r.priority = item.priority;
    r.lane = laneFor(lanes, item.priority).name;
    r.queue = std::move(item.queue);
    if (w && !r.queue.empty()) {
      // A limited queue routes by its name (DESIGN "Topics"), so one dispatcher owns its count.
      if (auto q = w->queues.find(r.queue); q != w->queues.end()) r.queue_limit = q->second;
    }
    r.concurrency_key = std::move(item.concurrency_key);
    r.destination = std::move(item.destination);
    r.timeout_seconds = item.timeout_seconds > 0               ? item.timeout_seconds
                        : (w && w->timeout_seconds > 0)        ? w->timeout_seconds
                                                               : kDefaultTimeoutSeconds;
    r.max_attempts = item.max_attempts > 0          ? item.max_attempts
                     : (w && w->max_attempts > 0)   ? w->max_attempts
                                                    : kDefaultMaxAttempts;
    r.created_at = ctx.created_at;
    r.traceparent = ctx.traceparent;
    if (ctx.is_batch) {
      r.batch_size = n;
      r.batch_index = i;
    }
    r.status = RunStatus::kQueued;
    r.version = 0;
    r.partition = -1;
  }
  return runs;
}

OutMessage requestMessage(const Topics& topics, const Run& run) { return requestMessage(topics, run, run.input); }

OutMessage requestMessage(const Topics& topics, const Run& run, std::string_view input) {
  OutMessage m;
  m.topic = topics.requested(run.lane);
  m.key = run.routingKey();
  m.value = encodeRun(run, input);
  m.headers.reserve(2);
  m.headers.emplace_back("batch_id", run.batch_id);
  m.headers.emplace_back("project", run.project);
  return m;
}

std::string batchAnswer(const std::string& batch_id, int64_t created_at, const std::vector<Run>& runs,
                        const std::vector<bool>& deduplicated) {
  // Formatted once: every run the request produces has the request's created_at.
  const std::string created = formatRfc3339(created_at);
  std::string out;
  out.reserve(96 + runs.size() * (90 + created.size()));
  out += "{\"batch_id\":";
  json::appendString(out, batch_id);
  out += ",\"created_at\":";
  json::appendString(out, created);
  out += ",\"runs\":[";
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i) out += ',';
    out += "{\"run_id\":\"";
    out += runs[i].run_id;  // a UUID: nothing to escape
    out += "\",\"created_at\":\"";
    out += runs[i].created_at == created_at ? created : formatRfc3339(runs[i].created_at);
    out += "\",\"deduplicated\":";
    out += i < deduplicated.size() && deduplicated[i] ? "true}" : "false}";
  }
  out += "]}";
  return out;
}

std::string singleAnswer(const Run& run, bool deduplicated) {
  std::string out = "{\"run_id\":";
  json::appendString(out, run.run_id);
  out += ",\"created_at\":";
  json::appendString(out, formatRfc3339(run.created_at));
  out += ",\"status\":";
  json::appendString(out, toString(run.status));
  out += ",\"deduplicated\":";
  out += deduplicated ? "true}" : "false}";
  return out;
}

}  // namespace batchrun::ingest
