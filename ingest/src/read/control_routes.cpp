#include "batchrun/ingest/read/control_routes.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/json.hpp"

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

// The run to send a control record to, or an answer already given.
std::optional<Run> openRun(ResponseWriter& rw, const RunView& view, const std::string& project, const std::string& id) {
  auto run = view.summary(project, id);  // status and partition: the index has them
  if (!run) {
    replyError(rw, Code::Not_Found, "not_found", "no run " + id);
    return std::nullopt;
  }
  if (isTerminal(run->status)) {
    terminalConflict(rw, *run);
    return std::nullopt;
  }
  if (run->partition < 0) {
    // Only possible for a run noted without its delivery partition; the lane record fixes it.
    replyError(rw, Code::Service_Unavailable, "unavailable", "run " + id + " is not routable yet", {}, 1);
    return std::nullopt;
  }
  return run;
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
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) {
    bad("body", "must be a JSON object");
    return errors;
  }
  bool has_status = false;
  for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    const auto& v = it->value;
    if (name == "status") {
      has_status = true;
      std::string s = v.IsString() ? v.GetString() : "";
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
        out.error_code = code->value.GetString();
      }
      if (message != v.MemberEnd() && !message->value.IsString()) bad("error.message", "must be a string");
      else if (message != v.MemberEnd()) out.error_message = message->value.GetString();
    } else if (name == "attempt") {
      if (!v.IsInt() || v.GetInt() < 1) bad("attempt", "must be an integer >= 1");
      else out.attempt = v.GetInt();
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

void addControlRoutes(Pistache::Rest::Router& router, const ApiKeys& keys, const RunView& view,
                      const BatchEvents& events, Producer& producer,
                      Topics topics) {
  using namespace Pistache::Rest;

  Routes::Post(router, "/v1/runs/:run_id/cancel", [&keys, &view, &producer, topics](const Request& req, ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    auto run = openRun(rw, view, *project, req.param(":run_id").as<std::string>());
    if (!run) return Route::Result::Ok;
    ControlMessage m;
    m.run_id = run->run_id;
    m.project = *project;
    m.requested_at = SystemClock::instance().nowMs();
    auto st = producer.produceSync(controlRecord(topics, m, run->partition));
    if (!st || !st->ok) {
      replyFor(rw, st ? Error::unavailable("cancel not recorded: " + st->error) : st.error());
      return Route::Result::Ok;
    }
    std::string out = "{\"run_id\":";
    json::appendString(out, run->run_id);
    out += ",\"status\":\"cancel_requested\"}";
    replyJson(rw, Code::Accepted, out);
    return Route::Result::Ok;
  });

  Routes::Post(router, "/v1/batches/:batch_id/cancel", [&keys, &view, &events, &producer, topics](const Request& req,
                                                                                                ResponseWriter rw) {
    auto project = authenticate(keys, req);
    if (!project) return unauthorized(rw), Route::Result::Ok;
    auto id = canonicalBatchId(req.param(":batch_id").as<std::string>());
    auto open = view.openRuns(*project, id);
    if (!open && events.emptyBatch(*project, id)) open.emplace();  // no runs of its own: nothing to cancel
    if (!open) return replyError(rw, Code::Not_Found, "not_found", "no batch " + id), Route::Result::Ok;
    if (open->empty()) {
      replyError(rw, Code::Conflict, "batch_terminal", "every run of batch " + id + " is already terminal",
                 {{-1, "status", "completed"}});
      return Route::Result::Ok;
    }
    std::vector<OutMessage> records;
    int64_t now = SystemClock::instance().nowMs();
    for (const auto& r : *open) {
      if (r.partition < 0) continue;  // not routable yet; a repeated cancel reaches it
      ControlMessage m;
      m.run_id = r.run_id;
      m.project = *project;
      m.requested_at = now;
      records.push_back(controlRecord(topics, m, r.partition));
    }
    size_t n = records.size();
    if (auto st = produceAll(producer, std::move(records)); !st) return replyFor(rw, st.error()), Route::Result::Ok;
    std::string out = "{\"batch_id\":";
    json::appendString(out, id);
    out += ",\"status\":\"cancel_requested\",\"runs\":" + std::to_string(n) + "}";
    replyJson(rw, Code::Accepted, out);
    return Route::Result::Ok;
  });

  Routes::Post(router, "/v1/runs/:run_id/result", [&keys, &view, &producer, topics](const Request& req, ResponseWriter rw) {
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
    auto run = openRun(rw, view, *project, req.param(":run_id").as<std::string>());
    if (!run) return Route::Result::Ok;
    m.run_id = run->run_id;
    m.project = *project;
    m.requested_at = SystemClock::instance().nowMs();
    auto st = producer.produceSync(controlRecord(topics, m, run->partition));
    if (!st || !st->ok) {
      replyFor(rw, st ? Error::unavailable("result not recorded: " + st->error) : st.error());
      return Route::Result::Ok;
    }
    std::string out = "{\"run_id\":";
    json::appendString(out, run->run_id);
    out += ",\"status\":\"result_accepted\"}";
    replyJson(rw, Code::Accepted, out);
    return Route::Result::Ok;
  });
}

}  // namespace batchrun::ingest
