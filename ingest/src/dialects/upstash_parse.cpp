// Parsers of POST /v2/batch/trigger, POST /v2/batch and DELETE /v2/workflows/runs, and the run-id
// mapping (dialects/upstash.hpp).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "batchrun/common/http/header_rules.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/json_writer.hpp"
#include "batchrun/ingest/dialects/dialect_routes.hpp"
#include "batchrun/ingest/dialects/upstash.hpp"
#include "batchrun/ingest/http/request_fields.hpp"
#include "batchrun/ingest/read/run_query.hpp"
#include "batchrun/ingest/write/run_ids.hpp"

namespace batchrun::ingest {

namespace {

using rapidjson::Value;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

constexpr int kUpstashDefaultRetries = 3;

std::string itemField(int i, std::string_view name) {
  return "[" + std::to_string(i) + "]" + (name.empty() ? "" : "." + std::string(name));
}

// Plain headers that describe the publish request itself (SDKs copy Content-Type and
// Authorization into items): dropped, as Upstash does. Asked for by Upstash-Forward-*, or any
// other reserved name (header_rules.hpp), they are refused instead.
bool publishRequestOwn(const std::string& n) {
  return n == "content-type" || n == "content-length" || n == "host" || n == "connection" ||
         n == "transfer-encoding" || n == "authorization";
}

// "parallelism=N[, rate=R, period=P]": rate and period are accepted and not enforced.
int parseFlowControl(std::string_view v, bool& ok) {
  ok = true;
  int parallelism = 0;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view part = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return ok = false, 0;
    std::string key = lower(part.substr(0, eq));
    std::string_view num = part.substr(eq + 1);
    bool digits = !num.empty() && num.size() <= 7;
    for (char c : num) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits) return ok = false, 0;
    if (key == "parallelism") parallelism = std::stoi(std::string(num));
    else if (key != "rate" && key != "period") return ok = false, 0;
  }
  return parallelism;
}

// The SDK forwards a Content-Type the caller set (headers: {"Content-Type": ...}) as
// Upstash-Forward-Content-Type and Upstash-Failure-Callback-Forward-Content-Type. batchrun sends the
// worker its own JSON, so on /v2/batch that forward is dropped instead of refused.
bool sdkContentType(UpstashEndpoint endpoint, std::string_view forwarded) {
  return endpoint == UpstashEndpoint::kQStashBatch && lower(forwarded) == "content-type";
}

void parseHeaders(const Value& h, int i, UpstashEndpoint endpoint, FieldErrors& errors, UpstashItem& out) {
  const std::string base = itemField(i, "headers");
  if (!h.IsObject()) return errors.add(i, base, "must be an object of header names to values");
  rapidjson::StringBuffer buf, cb_buf;
  json::Writer w(buf), cb(cb_buf);
  w.StartObject();
  cb.StartObject();
  std::string flow_value;
  for (auto m = h.MemberBegin(); m != h.MemberEnd(); ++m) {
    std::string_view raw_name(m->name.GetString(), m->name.GetStringLength());
    const std::string name = lower(raw_name);
    const std::string field = base + "." + std::string(raw_name);
    if (!m->value.IsString()) {
      errors.add(i, field, "must be a string");
      continue;
    }
    std::string_view v(m->value.GetString(), m->value.GetStringLength());
    if (name == "upstash-workflow-runid") {
      std::string id = startsWith(v, "wfr_") ? std::string(v) : "wfr_" + std::string(v);
      if (v.empty() || id.size() > 200 || idempotencyKeyProblem(id)) errors.add(i, field, "must be 1..196 printable characters");
      else out.workflow_run_id = std::move(id);
    } else if (name == "upstash-retries") {
      bool digits = !v.empty() && v.size() <= 3;
      for (char c : v) digits = digits && std::isdigit(static_cast<unsigned char>(c));
      int n = digits ? std::stoi(std::string(v)) : -1;
      if (n < 0 || n + 1 > kMaxAttempts) errors.add(i, field, "must be an integer 0.." + std::to_string(kMaxAttempts - 1));
      else out.item.max_attempts = n + 1;  // retries after the first attempt
    } else if (name == "upstash-flow-control-key") {
      if (v.empty() || v.size() > kMaxNameLength) errors.add(i, field, "must be 1..255 characters");
      else if (!isSafeHeaderValue(v)) errors.add(i, field, "must not contain CR, LF, NUL or other control characters");
      else out.item.concurrency_key.assign(v);
    } else if (name == "upstash-flow-control-value") {
      flow_value.assign(v);
      bool ok = false;
      out.parallelism = parseFlowControl(v, ok);
      if (!ok) errors.add(i, field, "must be like \"parallelism=N\" (rate=, period= also accepted)");
    } else if (name == "upstash-failure-callback") {
      if (auto problem = urlProblem(v)) errors.add(i, field, *problem);
      else out.failure_callback.assign(v);
    } else if (startsWith(name, "upstash-failure-callback-forward-")) {
      // Sent with the failure callback only, as Upstash does (e.g. the receiver's credentials).
      std::string_view forwarded = raw_name.substr(33);
      if (sdkContentType(endpoint, forwarded)) continue;
      if (forwarded.empty()) errors.add(i, field, "names no header to forward");
      else if (auto problem = forwardedHeaderProblem(forwarded, v)) errors.add(i, field, *problem);
      cb.Key(forwarded.data(), static_cast<rapidjson::SizeType>(forwarded.size()));
      cb.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    } else if (startsWith(name, "upstash-forward-")) {
      std::string_view forwarded = raw_name.substr(16);
      if (sdkContentType(endpoint, forwarded)) continue;
      if (forwarded.empty()) errors.add(i, field, "names no header to forward");
      else if (auto problem = forwardedHeaderProblem(forwarded, v)) errors.add(i, field, *problem);
      w.Key(forwarded.data(), static_cast<rapidjson::SizeType>(forwarded.size()));
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    } else if (name == "upstash-workflow-init") {
      out.workflow_init.assign(v);
    } else if (startsWith(name, "upstash-") || publishRequestOwn(name)) {
      // Other Upstash options (delay, label, method, ...) are not modelled: docs/compat.md.
    } else if (auto problem = forwardedHeaderProblem(raw_name, v)) {
      errors.add(i, field, *problem);
    } else {
      w.Key(raw_name.data(), static_cast<rapidjson::SizeType>(raw_name.size()));
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    }
  }
  w.EndObject();
  cb.EndObject();
  out.headers.assign(buf.GetString(), buf.GetSize());
  out.failure_callback_headers.assign(cb_buf.GetString(), cb_buf.GetSize());
  if (!flow_value.empty() && out.item.concurrency_key.empty()) {
    errors.add(i, base + ".Upstash-Flow-Control-Key", "required with Upstash-Flow-Control-Value");
  }
  if (out.parallelism > 0) {
    // The queue's limit applies per concurrency key: parallelism N per flow-control key.
    out.item.queue = kUpstashFlowQueue;
  }
}

// /v2/batch is QStash's publish API; batchrun takes from it only what @upstash/workflow's trigger sends.
void checkWorkflowTrigger(int i, FieldErrors& errors, UpstashItem& out) {
  const std::string field = itemField(i, "headers.Upstash-Workflow-Init");
  if (out.workflow_init.empty()) {
    errors.add(i, field,
               "required: batchrun serves /v2/batch for Upstash Workflow triggers only (Upstash-Workflow-Init: "
               "true, as @upstash/workflow's client.trigger sends), not plain QStash messages");
  } else if (lower(out.workflow_init) == "false") {
    errors.add(i, field,
               "is \"false\" (a workflow step): batchrun runs a workflow as one HTTP call per attempt and takes "
               "no steps");
  } else if (lower(out.workflow_init) != "true") {
    errors.add(i, field, "must be \"true\"");
  }
  // The SDK leaves Upstash-Retries out for Upstash's default, 3 retries.
  if (out.item.max_attempts == 0) out.item.max_attempts = kUpstashDefaultRetries + 1;
}

void parseItem(const Value& obj, int i, const RunRequestLimits& limits, UpstashEndpoint endpoint, FieldErrors& errors,
               UpstashItem& out) {
  out.item.workflow_id = kUpstashWorkflowId;
  bool has_destination = false;
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    std::string_view name(m->name.GetString(), m->name.GetStringLength());
    const Value& v = m->value;
    if (name == "destination") {
      has_destination = true;
      errors.url(i, itemField(i, "destination"), v, out.item.destination);
    } else if (name == "body") {
      if (v.IsNull()) continue;
      if (!v.IsString()) {
        errors.add(i, itemField(i, "body"), "must be a string (the raw payload)");
        continue;
      }
      // The raw payload goes to the worker as is when it is JSON; other text as a JSON string.
      // JSON nested past the limit is refused rather than quoted: it is JSON, just too deep.
      rapidjson::Document d;
      const auto st = json::parse(d, {v.GetString(), v.GetStringLength()});
      if (st.kind == json::ParseStatus::Kind::kTooDeep) {
        errors.add(i, itemField(i, "body"), "is JSON " + st.reason());
        continue;
      }
      out.item.input = st ? json::stringify(d) : json::stringify(v);
    } else if (name == "headers") {
      if (!v.IsNull()) parseHeaders(v, i, endpoint, errors, out);
    } else {
      errors.add(i, itemField(i, name), "unknown field");
    }
  }
  if (!has_destination) errors.add(i, itemField(i, "destination"), "required: the URL of the workflow endpoint");
  if (endpoint == UpstashEndpoint::kQStashBatch) checkWorkflowTrigger(i, errors, out);
  if (!out.workflow_run_id.empty()) out.item.idempotency_key = upstashItemKey(out.workflow_run_id);
  const auto bytes =
      static_cast<int64_t>(out.item.input.size() + out.headers.size() + out.failure_callback_headers.size());
  if (bytes > limits.max_item_bytes) {
    errors.add(i, itemField(i, ""), "is " + std::to_string(bytes) + " bytes; the limit is " +
                                        std::to_string(limits.max_item_bytes));
  }
}

}  // namespace

std::string upstashItemKey(std::string_view workflow_run_id) { return "upstash/" + std::string(workflow_run_id); }

UpstashBatch parseUpstashBatch(std::string_view body, const RunRequestLimits& limits, UpstashEndpoint endpoint) {
  UpstashBatch out;
  FieldErrors errors;
  rapidjson::Document doc;
  const auto st = json::parse(doc, body);
  if (!st && st.kind != json::ParseStatus::Kind::kSyntax) {
    // Too deep or not UTF-8: name the item and field it happened in ("[3].body").
    const auto steps = json::pathAt(body, st.offset, 2);
    const int index = !steps.empty() && steps[0].index >= 0 && steps[0].index <= INT32_MAX
                          ? static_cast<int>(steps[0].index) : -1;
    errors.add(index, steps.empty() ? "body" : json::formatPath(steps), st.reason());
  } else if (!st || !doc.IsArray()) {
    errors.add(-1, "body", "must be a JSON array of {destination, body?, headers?}");
  } else if (doc.Size() == 0 || static_cast<int>(doc.Size()) > limits.max_items) {
    errors.add(-1, "body", "has " + std::to_string(doc.Size()) + " items; it must have 1.." +
                               std::to_string(limits.max_items));
  } else {
    out.items.resize(doc.Size());
    for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
      const int index = static_cast<int>(i);
      if (!doc[i].IsObject()) errors.add(index, itemField(index, ""), "must be an object");
      else parseItem(doc[i], index, limits, endpoint, errors, out.items[i]);
    }
  }
  if (!errors.empty()) {
    out.items.clear();
    out.errors = errors.take();
    if (out.errors.size() > kMaxReportedProblems) out.errors.resize(kMaxReportedProblems);
  }
  return out;
}

std::optional<Run> findUpstashRun(const RunView& view, const std::string& project, std::string_view id) {
  if (!startsWith(id, "wfr_")) return std::nullopt;
  if (std::string_view rest = id.substr(4); isUuid(rest)) {
    if (auto run = view.summary(project, rest)) return run;  // a generated id: "wfr_" + run_id
  }
  // A custom id: the run id derived from it, as parseItem's idempotency key made it.
  return view.summary(project, runIdFor(project, "", 0, upstashItemKey(id), Uuid{}));
}

namespace {

constexpr const char* kCancelByIdsOnly =
    "batchrun cancels workflow runs by workflowRunIds only; cancelling by filter (workflowUrl, label, dates, ...) "
    "or all runs is not supported";

void addCancelId(std::string_view id, const std::string& field, UpstashCancel& out, FieldErrors& errors) {
  if (id.empty()) return errors.add(-1, field, "must not be empty");
  if (std::find(out.workflow_run_ids.begin(), out.workflow_run_ids.end(), id) != out.workflow_run_ids.end()) return;
  if (out.workflow_run_ids.size() >= kMaxUpstashCancelIds) {
    return errors.add(-1, field, "names more than " + std::to_string(kMaxUpstashCancelIds) + " workflow runs");
  }
  out.workflow_run_ids.emplace_back(id);
}

}  // namespace

UpstashCancel parseUpstashCancel(const std::map<std::string, std::string>& query, std::string_view body) {
  UpstashCancel out;
  FieldErrors errors;
  for (const auto& [name, value] : query) {
    if (name == "qstash_token") continue;  // authentication (upstashProject)
    if (name != "workflowRunIds") {
      errors.add(-1, name, kCancelByIdsOnly);
      continue;
    }
    // One value, or several comma-separated (a repeated parameter reaches the route as one value).
    const std::string decoded = percentDecode(value);
    std::string_view rest = decoded;
    while (true) {
      const size_t comma = rest.find(',');
      addCancelId(rest.substr(0, comma), "workflowRunIds", out, errors);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    rapidjson::Document doc;
    if (parseObject(body, doc, errors, "workflowRunIds")) {
      for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
        const std::string name(m->name.GetString(), m->name.GetStringLength());
        const Value& v = m->value;
        if (name != "workflowRunIds") {
          errors.add(-1, name, kCancelByIdsOnly);
        } else if (v.IsString()) {
          addCancelId({v.GetString(), v.GetStringLength()}, name, out, errors);
        } else if (!v.IsArray()) {
          errors.add(-1, name, "must be an array of workflow run ids");
        } else {
          for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
            const std::string field = name + "[" + std::to_string(i) + "]";
            if (!v[i].IsString()) errors.add(-1, field, "must be a string");
            else addCancelId({v[i].GetString(), v[i].GetStringLength()}, field, out, errors);
          }
        }
      }
    }
  }
  if (errors.empty() && out.workflow_run_ids.empty()) {
    errors.add(-1, "workflowRunIds", "required: the workflow runs to cancel");
  }
  if (!errors.empty()) {
    out.workflow_run_ids.clear();
    out.errors = errors.take();
    if (out.errors.size() > kMaxReportedProblems) out.errors.resize(kMaxReportedProblems);
  }
  return out;
}

std::optional<std::string> upstashAllowedMethods(std::string_view path) {
  constexpr std::string_view kPrefix = "/v2";
  if (!startsWith(path, kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;  // "/v2x": not Upstash's
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest == "/batch" || rest == "/batch/trigger") return std::string("POST");
  if (rest == "/workflows/runs") return std::string("DELETE");
  constexpr std::string_view kRun = "/workflows/runs/";
  if (startsWith(rest, kRun) && rest.size() > kRun.size() && rest.find('/', kRun.size()) == std::string_view::npos) {
    return std::string("DELETE");
  }
  return std::string();
}

std::string upstashErrorBody(std::string_view message, const std::vector<FieldError>& details) {
  std::string out = "{\"error\":";
  json::appendString(out, message);
  out += ',';
  appendDetails(out, details);
  out += '}';
  return out;
}

}  // namespace batchrun::ingest
