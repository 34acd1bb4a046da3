#include "batchrun/cli/batches.hpp"
#include "batchrun/common/json_parse.hpp"
#include "batchrun/common/json_writer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <thread>

namespace batchrun::cli {

namespace {
std::string stringify(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

RunResult resultOf(const rapidjson::Value& run) {
  RunResult res;
  if (run.HasMember("status") && run["status"].IsString()) res.status = run["status"].GetString();
  if (run.HasMember("output")) res.output = stringify(run["output"]);
  if (run.HasMember("error")) res.error = stringify(run["error"]);
  return res;
}

bool isTerminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled" || status == "timed_out";
}

struct BatchState {
  std::string id;
  bool done = false;
  BatchTotals totals;
};

// A batch just accepted may not be readable on every ingest instance yet: 404 is retried this long.
constexpr auto kVisibleWithin = std::chrono::seconds(120);
constexpr size_t kPolledPerRound = 50;
}  // namespace

std::string describeCounts(const std::map<std::string, long>& counts) {
  std::string out;
  for (const auto& [status, n] : counts) {
    if (n == 0) continue;
    out += (out.empty() ? "" : ", ") + status + " " + std::to_string(n);
  }
  return out;
}

std::optional<std::string> waitForBatches(ApiClient& api, const std::vector<std::string>& batch_ids, Progress& progress,
                                          BatchTotals& totals, int poll_ms,
                                          const std::function<bool(const std::string&)>& has_no_runs) {
  std::vector<BatchState> states;
  for (const auto& id : batch_ids) states.push_back({id, false, {}});
  auto started = std::chrono::steady_clock::now();
  size_t next = 0;
  while (true) {
    size_t polled = 0;
    for (size_t i = 0; i < states.size() && polled < kPolledPerRound; ++i) {
      auto& s = states[(next + i) % states.size()];
      if (s.done) continue;
      ++polled;
      ApiResponse r = api.call("GET", "/v1/batches/" + s.id);
      if (r.status == 404 && has_no_runs && has_no_runs(s.id)) {
        s.done = true;
        continue;
      }
      if (r.status == 404 && std::chrono::steady_clock::now() - started < kVisibleWithin) continue;
      if (!r.ok()) return "reading batch " + s.id + ": " + describeError(r);
      rapidjson::Document d;
      const bool parsed = json::parseRecord(d, r.body).ok();
      if (!parsed || !d.IsObject()) return "reading batch " + s.id + ": not JSON: " + r.body.substr(0, 200);
      s.totals = {};
      if (d.HasMember("total") && d["total"].IsNumber()) s.totals.total = d["total"].GetUint64();
      if (d.HasMember("terminal") && d["terminal"].IsNumber()) s.totals.terminal = d["terminal"].GetUint64();
      if (d.HasMember("counts") && d["counts"].IsObject()) {
        for (const auto& m : d["counts"].GetObject()) {
          if (m.value.IsInt64()) s.totals.counts[m.name.GetString()] = m.value.GetInt64();
        }
      }
      s.done = d.HasMember("status") && d["status"].IsString() && std::string(d["status"].GetString()) == "completed";
    }
    next = (next + polled) % std::max<size_t>(states.size(), 1);
    totals = {};
    bool all_done = true;
    for (const auto& s : states) {
      totals.total += s.totals.total;
      totals.terminal += s.totals.terminal;
      for (const auto& [k, v] : s.totals.counts) totals.counts[k] += v;
      all_done = all_done && s.done;
    }
    progress.update(totals.terminal, describeCounts(totals.counts));
    if (all_done) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

std::optional<std::string> fetchBatchRuns(ApiClient& api, const std::string& batch_id,
                                          std::map<std::string, RunResult>& out) {
  std::string cursor;
  while (true) {
    std::string path = "/v1/runs?batch_id=" + batch_id + "&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor);
    ApiResponse r = api.call("GET", path);
    if (!r.ok()) return "listing the runs of batch " + batch_id + ": " + describeError(r);
    rapidjson::Document d;
    const bool parsed = json::parseRecord(d, r.body).ok();
    if (!parsed || !d.IsObject() || !d.HasMember("runs") || !d["runs"].IsArray()) {
      return "listing the runs of batch " + batch_id + ": unexpected answer " + r.body.substr(0, 200);
    }
    for (const auto& run : d["runs"].GetArray()) {
      if (!run.IsObject() || !run.HasMember("run_id") || !run["run_id"].IsString()) continue;
      out[run["run_id"].GetString()] = resultOf(run);
    }
    if (!d.HasMember("next_cursor") || !d["next_cursor"].IsString()) return std::nullopt;
    cursor = d["next_cursor"].GetString();
  }
}

std::optional<std::string> readRun(ApiClient& api, const std::string& run_id, RunSnapshot& out) {
  ApiResponse r = api.call("GET", "/v1/runs/" + run_id);
  out = {};
  if (r.status == 404) return std::nullopt;
  if (!r.ok()) return "reading run " + run_id + ": " + describeError(r);
  rapidjson::Document d;
  const bool parsed = json::parseRecord(d, r.body).ok();
  if (!parsed || !d.IsObject()) return "reading run " + run_id + ": not JSON: " + r.body.substr(0, 200);
  out.found = true;
  if (d.HasMember("batch_id") && d["batch_id"].IsString()) out.batch_id = d["batch_id"].GetString();
  out.result = resultOf(d);
  return std::nullopt;
}

std::optional<std::string> waitForRuns(ApiClient& api, const std::vector<std::string>& run_ids,
                                       std::map<std::string, RunResult>& out, int poll_ms) {
  std::vector<std::string> open(run_ids);
  while (!open.empty()) {
    std::vector<std::string> still;
    for (const auto& id : open) {
      RunSnapshot snap;
      if (auto err = readRun(api, id, snap)) return err;
      if (!snap.found) return "run " + id + " (answered for an item as an existing run) is not readable";
      const bool done = isTerminal(snap.result.status);
      out[id] = std::move(snap.result);
      if (!done) still.push_back(id);
    }
    open.swap(still);
    if (!open.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return std::nullopt;
}

}  // namespace batchrun::cli
