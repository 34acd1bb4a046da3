#include "batchrun/ingest/read/control_routes.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/ingest/http/request_fields.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;
using Pistache::Rest::Request;
using Pistache::Rest::Route;

namespace {

// Counts a group of deliveries down; the first failure is kept for the answer. Each queued record
// holds a reference (its tag), so a request that stopped waiting never leaves a dangling handler.
class DeliveryLatch final : public DeliveryHandler {
 public:
  using Ref = std::shared_ptr<DeliveryLatch>;
  explicit DeliveryLatch(int n) : left_(n) {}
  void onDelivery(const DeliveryReport& report, void* tag) override {
    {
      std::lock_guard lock(mu_);
      if (!report.ok && error_.empty()) error_ = report.error;
      if (--left_ == 0) done_.notify_all();
    }
    delete static_cast<Ref*>(tag);  // last statement: may release this latch
  }
  void forget(int n) {
    std::lock_guard lock(mu_);
    left_ -= n;
  }
  bool wait(int timeout_ms) {
    std::unique_lock lock(mu_);
    return done_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return left_ <= 0; });
  }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  int left_;
  std::string error_;
};

OutMessage controlRecord(const Topics& topics, const ControlMessage& m, int32_t partition) {
  OutMessage out;
  out.topic = topics.control;
  out.key = m.run_id;
  out.value = encodeControl(m);
  out.partition = partition;
  return out;
}

void unauthorized(ResponseWriter& rw) {
  replyError(rw, Code::Unauthorized, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)");
}

void terminalConflict(ResponseWriter& rw, const Run& run) {
  std::string status = toString(run.status);
  replyError(rw, Code::Conflict, "run_terminal", "run " + run.run_id + " is already " + status,
             {{-1, "status", status}});
}

}  // namespace

Status produceAll(Producer& producer, std::vector<OutMessage> messages, int timeout_ms) {
  if (messages.empty()) return {};
  auto latch = std::make_shared<DeliveryLatch>(static_cast<int>(messages.size()));
  int queued = 0;
  for (auto& m : messages) {
    auto* ref = new DeliveryLatch::Ref(latch);
    if (auto st = producer.produce(std::move(m), latch.get(), ref); !st) {
      delete ref;
      latch->forget(static_cast<int>(messages.size()) - queued);
      latch->wait(timeout_ms);  // what was queued still reports into the latch
      return st;
    }
    ++queued;
  }
  if (!latch->wait(timeout_ms)) return Error::unavailable("control records not acknowledged in time");
  if (auto e = latch->error(); !e.empty()) return Error::unavailable("control record not delivered: " + e);
  return {};
}

std::vector<FieldError> parseResultBody(std::string_view body, ControlMessage& out) {
  std::vector<FieldError> errors;
  auto bad = [&](std::string field, std::string message) { errors.push_back({-1, std::move(field), std::move(message)}); };
  rapidjson::Document d;
  const json::ParseStatus st = json::parse(d, body);
  if (!st && st.kind != json::ParseStatus::Kind::kSyntax) {
    // An output nested too deep or not UTF-8 is refused here, naming it, before any record is written.
    errors.push_back(jsonBodyError(body, st, ""));
    return errors;
  }
  if (!st || !d.IsObject()) {
    bad("body", "must be a JSON object");
    return errors;
  }
  bool has_status = false;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    const auto& v = it->value;
    // An optional member sent as null is absent (many clients write unset fields so); output's
    // null is the worker's output itself.
    if (v.IsNull() && (name == "error" || name == "attempt")) continue;
    if (name == "status") {
      has_status = true;
      // With their lengths: "completed\u0000x" is not "completed" (nor a code cut at its NUL).
      const std::string_view s = v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : "";
      if (s != "completed" && s != "failed") bad("status", "must be \"completed\" or \"failed\"");
      out.success = s == "completed";
    } else if (name == "output") {
      out.output = json::stringify(v);
    } else if (name == "error") {
      if (!v.IsObject()) {
        bad("error", "must be an object {code, message}");
        continue;
      }
      for (auto e = v.MemberBegin(); e != v.MemberEnd(); ++e) {
        std::string field(e->name.GetString(), e->name.GetStringLength());
        if (field != "code" && field != "message") bad("error." + field, "unknown field");
      }
      auto code = v.FindMember("code");
      auto message = v.FindMember("message");
      if (code == v.MemberEnd() || !code->value.IsString() || code->value.GetStringLength() == 0) {
        bad("error.code", "must be a non-empty string");
      } else {
        out.error_code.assign(code->value.GetString(), code->value.GetStringLength());
      }
      if (message == v.MemberEnd() || message->value.IsNull()) continue;
      if (!message->value.IsString()) bad("error.message", "must be a string");
      else out.error_message.assign(message->value.GetString(), message->value.GetStringLength());
    } else if (name == "attempt") {
      const auto n = integralValue(v);
      if (!n || *n < 1 || *n > std::numeric_limits<int>::max()) bad("attempt", "must be an integer >= 1");
      else out.attempt = static_cast<int>(*n);
    } else {
      bad(name, "unknown field");
    }
  }
  if (!has_status) bad("status", "is required");
  if (has_status && out.success && !out.error_code.empty()) bad("error", "only allowed with status \"failed\"");
  if (has_status && !out.success && errors.empty() && out.error_code.empty()) {
    out.error_code = "worker_failed";  // a failure without details still needs a code for the event
  }
  return errors;
}

namespace {

void behind(ResponseWriter& rw) { replyFor(rw, Error::unavailable("the read view is behind Kafka; try again")); }
void busy(ResponseWriter& rw) { replyFor(rw, Error::unavailable("too many reads waiting for Kafka")); }

// Whether a worker's result is the one its run already ended with (posting it again is answered
// as the first time was; the dispatcher applies it once).
bool sameResult(const Run& run, const ControlMessage& m) {
  if (m.attempt != 0 && m.attempt != run.attempt) return false;
  if (m.success) return run.status == RunStatus::kCompleted && run.output == (m.output.empty() ? "null" : m.output);
  return run.status == RunStatus::kFailed && run.error_code == m.error_code;
}

void resultAccepted(ResponseWriter& rw, const std::string& run_id) {
  std::string out = "{\"run_id\":";
  json::appendString(out, run_id);
  out += ",\"status\":\"result_accepted\"}";
  replyJson(rw, Code::Accepted, out);
}

// The control routes. A cancel for a run the view does not hold or shows not ended, and a result
// for a run the view does not hold or shows not started, first let the view catch up
// (catch_up.hpp): so an async result is accepted for an attempt that is running according to
// Kafka, whatever the view's lag, a cancel's answer is about the run as it is, and a 404 or 409
// is never an artefact of that lag. (A result that names no attempt, for a run the view shows
// running, is produced at once: the dispatcher drops one whose attempt has ended meanwhile.)
struct Controls : std::enable_shared_from_this<Controls> {
  Controls(const RunView& v, const BatchEvents& e, Producer& p, Topics t, ReadPool& r, CatchUp& c)
      : view(v), events(e), producer(p), topics(std::move(t)), pool(r), catch_up(c) {}

  const RunView& view;
  const BatchEvents& events;
  Producer& producer;
  const Topics topics;
  ReadPool& pool;
  CatchUp& catch_up;

  CatchUp::Sync runsSync() const {
    return [self = shared_from_this()](std::function<void()> done) { self->view.syncThen(std::move(done)); };
  }
  CatchUp::Sync batchSync() const {
    return [self = shared_from_this()](std::function<void()> done) {
      self->view.syncThen([self, done = std::move(done)]() mutable { self->events.syncThen(std::move(done)); });
    };
  }
  static bool stale(const std::optional<Run>& run) { return !run || run->status == RunStatus::kQueued; }

  void cancelRun(std::string project, std::string id, ResponseWriter rw, Look look) {
    auto run = view.summary(project, id);  // status and partition: the index has them
    // Cancels are rare and their answer says what became of the run: unless the view already shows
    // it ended (final), look again once the view caught up — it may have ended a moment ago.
    if (look == Look::kFirst && (!run || !isTerminal(run->status))) {
      return lookAgain(catch_up, pool, runsSync(), rw,
                       [self = shared_from_this(), project, id](ResponseWriter& w, Look l) {
                         self->cancelRun(project, id, std::move(w), l);
                       },
                       busy);
    }
    if (!run) return look == Look::kBehind ? behind(rw) : replyError(rw, Code::Not_Found, "not_found", "no run " + id);
    if (isTerminal(run->status)) return terminalConflict(rw, *run);
    if (run->partition < 0) {
      // Only possible for a run noted without its delivery partition; the lane record fixes it.
      return replyError(rw, Code::Service_Unavailable, "unavailable", "run " + id + " is not routable yet", {}, 1);
    }
    ControlMessage m;
    m.run_id = run->run_id;
    m.project = project;
    m.requested_at = SystemClock::instance().nowMs();
    auto st = producer.produceSync(controlRecord(topics, m, run->partition));
    if (!st || !st->ok) return replyFor(rw, st ? Error::unavailable("cancel not recorded: " + st->error) : st.error());
    std::string out = "{\"run_id\":";
    json::appendString(out, run->run_id);
    out += ",\"status\":\"cancel_requested\"}";
    replyJson(rw, Code::Accepted, out);
  }

  void cancelBatch(std::string project, std::string id, ResponseWriter rw, Look look) {
    auto open = view.openRuns(project, id);
    if (!open && events.emptyBatch(project, id)) open.emplace();  // no runs of its own: nothing to cancel
    // A batch with open runs may have fewer by now, and one not held may exist: look again first.
    if (look == Look::kFirst && (!open || !open->empty())) {
      return lookAgain(catch_up, pool, batchSync(), rw,
                       [self = shared_from_this(), project, id](ResponseWriter& w, Look l) {
                         self->cancelBatch(project, id, std::move(w), l);
                       },
                       busy);
    }
    if (!open) return look == Look::kBehind ? behind(rw) : replyError(rw, Code::Not_Found, "not_found", "no batch " + id);
    if (open->empty()) {
      return replyError(rw, Code::Conflict, "batch_terminal", "every run of batch " + id + " is already terminal",
                        {{-1, "status", "completed"}});
    }
    std::vector<OutMessage> records;
    int64_t now = SystemClock::instance().nowMs();
    for (const auto& r : *open) {
      if (r.partition < 0) continue;  // not routable yet; a repeated cancel reaches it
      ControlMessage m;
      m.run_id = r.run_id;
      m.project = project;
      m.requested_at = now;
      records.push_back(controlRecord(topics, m, r.partition));
    }
    size_t n = records.size();
    if (auto st = produceAll(producer, std::move(records)); !st) return replyFor(rw, st.error());
    std::string out = "{\"batch_id\":";
    json::appendString(out, id);
    out += ",\"status\":\"cancel_requested\",\"runs\":" + std::to_string(n) + "}";
    replyJson(rw, Code::Accepted, out);
  }

  void result(std::string project, std::string id, ControlMessage m, ResponseWriter rw, Look look) {
    auto run = view.summary(project, id);
    // A result naming its attempt is judged against the run's current attempt, which only a view
    // that caught up knows (a retry may have started a moment ago): look again first.
    if (look == Look::kFirst && (stale(run) || m.attempt != 0)) {
      return lookAgain(catch_up, pool, runsSync(), rw,
                       [self = shared_from_this(), project, id, m](ResponseWriter& w, Look l) {
                         self->result(project, id, m, std::move(w), l);
                       },
                       busy);
    }
    if (!run) return look == Look::kBehind ? behind(rw) : replyError(rw, Code::Not_Found, "not_found", "no run " + id);
    if (run->status == RunStatus::kQueued) {
      if (look == Look::kBehind) return behind(rw);
      return replyError(rw, Code::Conflict, "run_not_started",
                        "run " + id + " has not started: no attempt is waiting for a result", {{-1, "status", "queued"}});
    }
    // An ended run, or a result naming its attempt: compare with the whole run (its attempt and
    // outcome are in its record, not in the index).
    if (isTerminal(run->status) || m.attempt != 0) {
      auto reply = [self = shared_from_this(), m, id](ResponseWriter& w, const Result<std::optional<Run>>& found) {
        if (!found) return replyFor(w, found.error());
        if (!*found) return replyError(w, Code::Not_Found, "not_found", "no run " + id);
        self->resultFor(**found, m, w);
      };
      pool.answer<std::optional<Run>>(std::move(rw), view.getNow(project, id),
                                      [self = shared_from_this(), project, id] { return self->view.get(project, id); },
                                      reply, busy);
      return;
    }
    produceResult(*run, std::move(m), rw);
  }

  void resultFor(const Run& run, ControlMessage m, ResponseWriter& rw) {
    if (isTerminal(run.status)) {
      if (sameResult(run, m)) return resultAccepted(rw, run.run_id);  // the same result again: the same answer
      return terminalConflict(rw, run);
    }
    if (m.attempt != run.attempt) {
      return replyError(rw, Code::Conflict, "attempt_over",
                        "attempt " + std::to_string(m.attempt) + " of run " + run.run_id + " is over (the run is at attempt " +
                            std::to_string(run.attempt) + ")",
                        {{-1, "attempt", "attempt " + std::to_string(run.attempt) + " is the current one"}});
    }
    produceResult(run, std::move(m), rw);
  }

  void produceResult(const Run& run, ControlMessage m, ResponseWriter& rw) {
    m.run_id = run.run_id;
    m.project = run.project;
    m.requested_at = SystemClock::instance().nowMs();
    auto st = producer.produceSync(controlRecord(topics, m, run.partition));
    if (!st || !st->ok) return replyFor(rw, st ? Error::unavailable("result not recorded: " + st->error) : st.error());
    resultAccepted(rw, run.run_id);
  }
};

}  // namespace

void addControlRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                      const BatchEvents& events, Producer& producer, Topics topics, ReadPool& reads,
                      CatchUp& catch_up) {
  using namespace Pistache::Rest;
  auto c = std::make_shared<Controls>(view, events, producer, std::move(topics), reads, catch_up);

  Routes::Post(router, "/v1/runs/:run_id/cancel", [&keys, c](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    c->cancelRun(*project, req.param(":run_id").as<std::string>(), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });

  Routes::Post(router, "/v1/batches/:batch_id/cancel", [&keys, c](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    c->cancelBatch(*project, canonicalBatchId(req.param(":batch_id").as<std::string>()), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });

  Routes::Post(router, "/v1/runs/:run_id/result", [&keys, c](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    ControlMessage m;
    m.type = ControlMessage::Type::kResult;
    auto errors = parseResultBody(req.body(), m);
    if (!errors.empty()) {
      replyError(rw, Code::Bad_Request, "invalid_request", "invalid result: " + errors.front().field + " " +
                 errors.front().message, errors);
      return Route::Result::Ok;
    }
    c->result(*project, req.param(":run_id").as<std::string>(), std::move(m), std::move(rw), Look::kFirst);
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
