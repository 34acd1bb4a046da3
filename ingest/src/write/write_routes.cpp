// POST /v1/batches and POST /v1/workflows/{workflow_id}/runs (see write_routes.hpp for the flow).
#include "batchrun/ingest/write/write_routes.hpp"

#include <memory>
#include <optional>

#include "batchrun/common/crypto.hpp"
#include "batchrun/common/records/events.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/http/request_edge.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/write/run_builder.hpp"
#include "batchrun/ingest/read/run_index.hpp"
#include "batchrun/ingest/write/run_ids.hpp"
#include "batchrun/ingest/write/run_request.hpp"

namespace batchrun::ingest {

namespace {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;

// What one request is, once its body has been validated.
struct WriteRequest {
  bool is_batch = true;
  std::string route;           // for the fingerprint: a key reused on another route is a conflict
  std::string project;
  std::string key;             // Idempotency-Key header
  std::string store_key;       // "project/key"
  std::string fingerprint;
  std::vector<RunItem> items;
  std::string traceparent;
};

// The native /v1 answers: 202 {batch_id, created_at, runs} or 201 {run_id, created_at, status, deduplicated}.
WriteDialect nativeDialect(bool is_batch) {
  WriteDialect d;
  d.is_batch = is_batch;
  d.success_code = is_batch ? Code::Accepted : Code::Created;
  d.success_body = [is_batch](const std::vector<Run>& runs, const std::string& batch_id, int64_t created_at,
                              const std::vector<bool>& deduplicated) {
    return is_batch ? batchAnswer(batch_id, created_at, runs, deduplicated)
                    : singleAnswer(runs.front(), !deduplicated.empty() && deduplicated.front());
  };
  d.unregistered_workflow = nativeUnregisteredWorkflow(is_batch);
  return d;
}

class WriteHandler {
 public:
  WriteHandler(WriteDeps& d, const Pistache::Rest::Request& req, ResponseWriter& rw, WriteDialect dialect)
      : d_(d), req_(req), rw_(rw), started_(steadyNowNs()),
        latency_(d.metrics.latency(dialect.is_batch ? RouteId::kBatch : RouteId::kSingleRun)),
        dialect_(std::move(dialect)) {
    w_.is_batch = dialect_.is_batch;
    w_.route = dialect_.route;
  }
  ~WriteHandler() { releaseClaim(); }
  WriteHandler(const WriteHandler&) = delete;
  WriteHandler& operator=(const WriteHandler&) = delete;

  // Native /v1: edge checks and the strict /v1 parser first.
  void handle(std::string_view workflow_id);
  // A dialect adapter already authenticated the caller and parsed the body.
  void handleParsed(std::string project, std::vector<RunItem> items);

 private:
  bool readHeaders();
  bool parse(std::string_view workflow_id);
  void admitAndProduce();
  // False (and a 400) when an item has neither a registered workflow nor a destination.
  bool checkWorkflows();
  std::vector<Run> build(const RunContext& ctx, const WorkflowView* workflows,
                         std::vector<std::string_view>* body_inputs = nullptr);
  // The idempotency decision: true to go on producing (prior set for a pending earlier attempt).
  bool checkIdempotency(std::optional<IdempotencyRecord>& prior);
  void produce(int64_t created_at, const std::optional<IdempotencyRecord>& prior);
  void answer(const std::vector<Run>& runs, const std::string& batch_id, int64_t created_at,
              const std::vector<bool>& deduplicated);
  void reject(Rejection why, Code code, std::string_view error_code, std::string_view message,
              const std::vector<FieldError>& details = {}, int retry_after = 0);
  void releaseClaim() {
    if (claimed_) d_.idempotency.release(w_.store_key);
    claimed_ = false;
  }

  WriteDeps& d_;
  const Pistache::Rest::Request& req_;
  ResponseWriter& rw_;
  const int64_t started_;
  Histogram& latency_;
  WriteDialect dialect_;
  WriteRequest w_;
  bool claimed_ = false;
};

void WriteHandler::reject(Rejection why, Code code, std::string_view error_code, std::string_view message,
                          const std::vector<FieldError>& details, int retry_after) {
  releaseClaim();
  d_.metrics.rejected(why).inc();
  if (dialect_.reply_error) dialect_.reply_error(rw_, code, error_code, message, details, retry_after);
  else replyError(rw_, code, error_code, message, details, retry_after);
  latency_.observe(static_cast<double>(steadyNowNs() - started_) / 1e9);
}

void WriteHandler::handle(std::string_view workflow_id) {
  auto project = admitRequest(req_, rw_, {d_.config.api_keys, d_.config.max_body_bytes, true}, d_.metrics);
  if (!project) {
    latency_.observe(static_cast<double>(steadyNowNs() - started_) / 1e9);
    return;
  }
  w_.project = std::move(*project);
  if (!readHeaders() || !parse(workflow_id)) return;
  admitAndProduce();
}

void WriteHandler::handleParsed(std::string project, std::vector<RunItem> items) {
  w_.project = std::move(project);
  if (!readHeaders()) return;
  w_.items = std::move(items);
  admitAndProduce();
}

std::vector<Run> WriteHandler::build(const RunContext& ctx, const WorkflowView* workflows,
                                     std::vector<std::string_view>* body_inputs) {
  auto runs = buildRuns(std::move(w_.items), ctx, d_.topics.lanes, workflows, body_inputs);
  if (dialect_.adjust) dialect_.adjust(runs);
  return runs;
}

void WriteHandler::admitAndProduce() {
  if (d_.draining()) {
    return reject(Rejection::kUnavailable, Code::Service_Unavailable, "unavailable", "ingest is shutting down",
                  {}, d_.config.retry_after_s);
  }
  std::optional<IdempotencyRecord> prior;
  if (!w_.key.empty() && !checkIdempotency(prior)) return;
  // A retry of an attempt that got as far as Kafka is not checked again: some of its runs may be
  // in Kafka already, and a 400 would say that nothing was accepted.
  if (!prior && !checkWorkflows()) return;
  if (!d_.health.ok()) {
    return reject(Rejection::kUnavailable, Code::Service_Unavailable, "unavailable",
                  "Kafka is unreachable; nothing was accepted", {}, d_.config.retry_after_s);
  }
  // Refuse what the producer could not take in whole, before producing any of it.
  if (d_.producer.outstanding() + static_cast<int64_t>(w_.items.size()) + 1 > d_.config.max_outstanding) {
    return reject(Rejection::kBackpressure, Code::Too_Many_Requests, "backpressure",
                  "too many runs are waiting for Kafka's acknowledgement; nothing was accepted", {},
                  d_.config.retry_after_s);
  }
  produce(prior ? prior->created_at : d_.clock.nowMs(), prior);
}

bool WriteHandler::checkWorkflows() {
  const UnregisteredWorkflow describe =
      dialect_.unregistered_workflow ? dialect_.unregistered_workflow : nativeUnregisteredWorkflow(w_.is_batch);
  auto problems = unroutableItems(w_.items, w_.project, d_.workflows, describe);
  if (problems.empty()) return true;
  const std::string message =
      problems.size() == 1 ? problems.front().message + "; nothing was accepted"
                           : std::to_string(problems.size()) +
                                 " items have neither a registered workflow nor a destination; nothing was accepted";
  reject(Rejection::kInvalid, Code::Bad_Request, "invalid_request", message, problems);
  return false;
}

bool WriteHandler::readHeaders() {
  if (auto key = rawHeader(req_, "Idempotency-Key")) {
    if (auto problem = idempotencyKeyProblem(*key)) {
      reject(Rejection::kInvalid, Code::Bad_Request, "invalid_request", "the Idempotency-Key header is invalid",
             {{-1, "Idempotency-Key", *problem}});
      return false;
    }
    w_.key = std::move(*key);
  }
  if (auto tp = rawHeader(req_, "traceparent"); tp && tp->size() <= 128) w_.traceparent = std::move(*tp);
  return true;
}

bool WriteHandler::parse(std::string_view workflow_id) {
  const RunRequestLimits limits{d_.config.max_batch_items, d_.config.max_item_bytes};
  ParsedRuns parsed = w_.is_batch ? parseBatchRequest(req_.body(), limits)
                                  : parseSingleRunRequest(req_.body(), workflow_id, limits);
  if (!parsed.errors.empty()) {
    reject(Rejection::kInvalid, Code::Bad_Request, "invalid_request",
           std::to_string(parsed.errors.size()) + (parsed.errors.size() == 1 ? " problem" : " problems") +
               " in the request; nothing was accepted",
           parsed.errors);
    return false;
  }
  w_.items = std::move(parsed.items);
  w_.route = w_.is_batch ? "POST /v1/batches" : "POST /v1/workflows/" + std::string(workflow_id) + "/runs";
  return true;
}

bool WriteHandler::checkIdempotency(std::optional<IdempotencyRecord>& prior) {
  if (!d_.idempotency_ready()) {
    reject(Rejection::kUnavailable, Code::Service_Unavailable, "unavailable",
           "idempotency keys are still being loaded from Kafka", {}, d_.config.retry_after_s);
    return false;
  }
  // Hash the body once; the route is mixed in so a key reused on another route is a conflict too.
  w_.fingerprint = sha256Hex(w_.route + "\n" + sha256Hex(req_.body()));
  w_.store_key = w_.project + "/" + w_.key;
  prior = d_.idempotency.find(w_.store_key);
  if (prior && prior->fingerprint != w_.fingerprint) {
    reject(Rejection::kConflict, Code::Conflict, "idempotency_conflict",
           "this Idempotency-Key was used with a different request; use a new key for a new request");
    return false;
  }
  if (prior && prior->complete) {
    // Every item is already in Kafka: the same answer, produced from the same ids, nothing sent.
    RunContext ctx{w_.project, w_.key, prior->batch_id, prior->created_at, w_.traceparent, w_.is_batch};
    auto runs = build(ctx, nullptr);
    // Items the first attempt answered with an existing run show that run's created_at again.
    markExisting(runs, flagsOf(prior->deduplicated, runs.size()), d_.find_run);
    d_.metrics.deduplicated().inc();
    answer(runs, prior->batch_id, prior->created_at, std::vector<bool>(runs.size(), true));
    return false;
  }
  if (!d_.idempotency.claim(w_.store_key)) {
    reject(Rejection::kConflict, Code::Conflict, "request_in_progress",
           "a request with this Idempotency-Key is still being processed; retry shortly", {},
           d_.config.retry_after_s);
    return false;
  }
  claimed_ = true;
  return true;
}

void WriteHandler::answer(const std::vector<Run>& runs, const std::string& batch_id, int64_t created_at,
                          const std::vector<bool>& deduplicated) {
  replyJson(rw_, dialect_.success_code, dialect_.success_body(runs, batch_id, created_at, deduplicated));
  latency_.observe(static_cast<double>(steadyNowNs() - started_) / 1e9);
}

void WriteHandler::produce(int64_t created_at, const std::optional<IdempotencyRecord>& prior) {
  RunContext ctx;
  ctx.project = w_.project;
  ctx.request_key = w_.key;
  ctx.created_at = created_at;
  ctx.traceparent = w_.traceparent;
  ctx.is_batch = w_.is_batch;
  if (w_.is_batch) ctx.batch_id = prior ? prior->batch_id : batchIdFor(w_.project, w_.key, created_at);
  // Items with their own idempotency_key: their run may exist already. Empty when none has one.
  std::vector<bool> keyed;
  if (d_.find_run && !prior) {
    for (size_t i = 0; i < w_.items.size(); ++i) {
      if (!w_.items[i].idempotency_key.empty()) {
        if (keyed.empty()) keyed.resize(w_.items.size(), false);
        keyed[i] = true;
      }
    }
  }
  // Inputs still in the request body (the batch parser's): each is copied once, into its record.
  std::vector<std::string_view> body_inputs;
  std::vector<Run> all = build(ctx, &d_.workflows, &body_inputs);
  const size_t items = all.size();
  // A retry repeats the earlier attempt's choice of existing runs (its idempotency record), so the
  // batch keeps the size that attempt gave its records; a first attempt asks the read view.
  std::vector<bool> existing;
  if (prior) {
    existing = flagsOf(prior->deduplicated, items);
    markExisting(all, existing, d_.find_run);
  } else if (!keyed.empty()) {
    existing = markExisting(all, keyed, d_.find_run);
  }
  // An earlier attempt got as far as Kafka: every item is answered as deduplicated.
  const std::vector<bool> answered = prior ? std::vector<bool>(items, true) : existing;
  std::string success_body = dialect_.success_body(all, ctx.batch_id, created_at, answered);
  std::vector<Run> runs = takeNew(all, existing);
  if (!prior && runs.size() < items) d_.metrics.deduplicatedRuns().inc(static_cast<double>(items - runs.size()));

  std::vector<OutMessage> messages;
  messages.reserve(runs.size() + 1);
  IdempotencyRecord record{w_.fingerprint, ctx.batch_id, created_at, static_cast<int>(items), false,
                           indexesOf(existing)};
  if (claimed_ && !prior) {
    // Written with the items: a retry after a partial failure finds it and produces the same ids.
    messages.push_back(OutMessage{d_.topics.idempotency, w_.store_key, encodeIdempotencyRecord(record), {}});
  }
  if (ctx.is_batch && runs.empty()) {
    // Every item named an existing run: the batch has nothing of its own to run, so it is complete
    // now. Its batch.completed (the id the dispatcher would give it, so a retry repeats the same
    // event) tells webhook and SSE subscribers, and lets GET /v1/batches/{id} find the batch.
    BatchSummary empty{w_.project, ctx.batch_id, 0, {}, created_at, created_at};
    messages.push_back(makeBatchCompletedEvent(d_.topics.events, empty, created_at));
  }
  const size_t first_run = messages.size();
  for (const Run& r : runs) {
    // A batch's run keeps its item's index (a single run is item 0).
    const auto item = static_cast<size_t>(r.batch_index);
    const bool in_body = item < body_inputs.size() && !body_inputs[item].empty();
    messages.push_back(requestMessage(d_.topics, r, in_body ? body_inputs[item] : std::string_view(r.input)));
  }
  // What runs on after the produce needs only each run's id, workflow, lane and position: the Runs
  // are freed when this returns, not when Kafka answers.
  auto accepted = std::make_shared<AcceptedRequest>(runs);

  SubmissionSpec spec;
  spec.success_code = dialect_.success_code;
  spec.success_body = std::move(success_body);
  spec.reply_error = dialect_.reply_error;
  spec.retry_after_s = d_.config.retry_after_s;
  spec.latency = &latency_;
  spec.abandoned = &d_.metrics.abandoned();
  spec.started_ns = started_;
  WriteDeps* d = &d_;
  std::string store_key = claimed_ ? w_.store_key : std::string();
  // Each report writes its own run's position; last_record reads them after the Submission's acq_rel
  // countdown, so no lock is needed. The read view indexes the request from them in one go (one
  // lock per request, no copy or parse), and its runs.index record names them.
  spec.on_delivered = [accepted, first_run](size_t index, int32_t partition, int64_t offset) {
    if (index >= first_run) accepted->acknowledged(index - first_run, partition, offset);
  };
  spec.last_record = [d, accepted](bool) {
    if (d->on_accepted.accepted) d->on_accepted.accepted(accepted->index());
    return runIndexMessage(d->topics, d->on_accepted.instance, accepted->index());
  };
  spec.last_producer = d_.index_producer;
  spec.on_done = [d, accepted, store_key, record](const SubmissionOutcome& outcome) mutable {
    if (outcome.ok) {
      const RunIndex& index = accepted->index();
      std::vector<int> per_lane(index.lanes.size());  // one counter update per lane
      for (const RunIndexEntry& r : index.runs) ++per_lane[r.lane];
      for (size_t l = 0; l < per_lane.size(); ++l) d->metrics.accepted(std::string(index.lanes[l])).inc(per_lane[l]);
      if (!store_key.empty()) {
        record.complete = true;
        d->idempotency.put(store_key, record);
        // Best effort: without it a retry only produces the same ids again, which the dispatcher drops.
        (void)d->producer.produce(OutMessage{d->topics.idempotency, store_key, encodeIdempotencyRecord(record), {}},
                                  nullptr, nullptr);
      }
    } else if (outcome.queue_full) {
      d->metrics.queueFull().inc();
      d->metrics.rejected(Rejection::kBackpressure).inc();
    } else {
      d->metrics.deliveryFailed().inc();
      d->metrics.rejected(Rejection::kUnavailable).inc();
      // Timeouts and transport errors say the cluster is in trouble: refuse at admission until the
      // next probe. A refusal of these records (e.g. too large for the topic) says nothing of that.
      if (outcome.retryable) d->health.noteDeliveryFailure();
    }
    if (!store_key.empty()) d->idempotency.release(store_key);
  };
  claimed_ = false;  // the submission releases it now
  Submission::start(d_.producer, d_.tracker, std::move(rw_), std::move(messages), std::move(spec));
}

// No exception leaves a Pistache handler; an unexpected one is a 500 if nothing was sent yet.
template <typename F>
void guarded(ResponseWriter& rw, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::error("write route failed", {{"error", e.what()}});
    try {
      if (rw.getPeer()) replyError(rw, Code::Internal_Server_Error, "internal", "internal error");
    } catch (...) {
    }
  }
}

}  // namespace

void addWriteRoutes(Pistache::Rest::Router& router, WriteDeps& deps) {
  using namespace Pistache::Rest;
  WriteDeps* d = &deps;
  Routes::Post(router, "/v1/batches", [d](const Request& req, ResponseWriter rw) {
    guarded(rw, [&] { WriteHandler(*d, req, rw, nativeDialect(true)).handle({}); });
    return Route::Result::Ok;
  });
  Routes::Post(router, "/v1/workflows/:workflow_id/runs", [d](const Request& req, ResponseWriter rw) {
    guarded(rw, [&] {
      WriteHandler(*d, req, rw, nativeDialect(false))
          .handle(decodePathParam(req.param(":workflow_id").as<std::string>()));
    });
    return Route::Result::Ok;
  });
}

void submitRuns(WriteDeps& deps, const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter& rw,
                std::string project, std::vector<RunItem> items, WriteDialect dialect) {
  WriteHandler(deps, request, rw, std::move(dialect)).handleParsed(std::move(project), std::move(items));
}

}  // namespace batchrun::ingest
