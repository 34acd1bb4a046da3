#include "batchrun/cli/submit.hpp"

#include <rapidjson/document.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "batchrun/cli/api_client.hpp"
#include "batchrun/cli/batches.hpp"
#include "batchrun/cli/journal.hpp"
#include "batchrun/cli/progress.hpp"
#include "batchrun/common/json_parse.hpp"

namespace batchrun::cli {

namespace {
void say(bool quiet, const std::string& msg) {
  if (!quiet) std::fprintf(stderr, "%s\n", msg.c_str());
}

// Parses a 2xx answer of POST /v1/batches into a journal entry.
std::optional<std::string> acceptedEntry(const ApiResponse& r, const InputBatch& b, JournalEntry& e) {
  rapidjson::Document d;
  const bool parsed = json::parseRecord(d, r.body).ok();
  if (!parsed || !d.IsObject() || !d.HasMember("batch_id") || !d["batch_id"].IsString() ||
      !d.HasMember("runs") || !d["runs"].IsArray()) {
    return "unexpected answer to POST /v1/batches: " + r.body.substr(0, 300);
  }
  e = {b.index, b.idempotency_key, d["batch_id"].GetString(), {}};
  for (const auto& run : d["runs"].GetArray()) {
    if (run.IsObject() && run.HasMember("run_id") && run["run_id"].IsString()) e.run_ids.emplace_back(run["run_id"].GetString());
  }
  if (e.run_ids.size() != b.lines.size()) {
    return "the API answered " + std::to_string(e.run_ids.size()) + " run ids for a batch of " +
           std::to_string(b.lines.size());
  }
  return std::nullopt;
}

// Test hook for the crash test (tests/e2e/cli_submit_test.cpp): BATCHRUN_CLI_TEST_HANG_AFTER_ACCEPT=N
// makes the process stop, forever, right after the API accepted its Nth batch and before the journal
// records it — the worst moment to be killed — so the test can kill -9 it there, deterministically.
void testHookAfterAccept(int sent) {
  static const char* hang = std::getenv("BATCHRUN_CLI_TEST_HANG_AFTER_ACCEPT");
  if (!hang || std::atoi(hang) != sent) return;
  std::fprintf(stderr, "\ntest hook: batch accepted, not journalled; waiting to be killed\n");
  std::fflush(stderr);
  while (true) pause();
}

std::optional<std::string> writeResults(const std::string& path, const InputFile& input,
                                        const std::map<int, JournalEntry>& accepted,
                                        const std::map<std::string, RunResult>& results) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot write " + tmp;
    for (const auto& b : input.batches) {
      const JournalEntry& e = accepted.at(b.index);
      for (size_t i = 0; i < b.lines.size(); ++i) {
        auto it = results.find(e.run_ids[i]);
        const RunResult fallback{"queued", "null", "null"};
        const RunResult& r = it == results.end() ? fallback : it->second;
        out << "{\"line\":" << b.lines[i].number << ",\"run_id\":\"" << e.run_ids[i] << "\",\"batch_id\":\""
            << e.batch_id << "\",\"status\":\"" << r.status << "\",\"output\":" << r.output << ",\"error\":" << r.error
            << ",\"input\":" << b.lines[i].text << "}\n";
      }
    }
    if (!out.flush()) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return "cannot rename " + tmp + " to " + path;
  return std::nullopt;
}
}  // namespace

int runSubmit(const SubmitFlags& flags, const CliConfig& config) {
  InputFile input;
  if (auto err = readInput(flags.file, flags.options, input)) {
    std::fprintf(stderr, "error: %s\n", err->c_str());
    return kExitBadInput;
  }
  Journal journal(Journal::pathFor(flags.file));
  if (auto err = journal.load()) {
    std::fprintf(stderr, "error: %s\n", err->c_str());
    return kExitApi;
  }
  ApiClient api(config, [&](const std::string& m) { say(flags.quiet, "\nnote: " + m); });

  std::map<int, JournalEntry> accepted;
  size_t submitted = 0, skipped_batches = 0, deduplicated = 0;
  int sent_now = 0;
  Progress progress("submit", input.runs, flags.quiet);
  for (const auto& b : input.batches) {
    if (const JournalEntry* known = journal.find(b.idempotency_key); known && known->run_ids.size() == b.lines.size()) {
      accepted[b.index] = *known;
      ++skipped_batches;
    } else {
      ApiResponse r = api.call("POST", "/v1/batches", batchBody(b, flags.options),
                               {{"Idempotency-Key", b.idempotency_key}}, /*repeatable=*/true);
      if (!r.ok()) {
        progress.finish();
        std::fprintf(stderr, "error: batch %d (lines %d–%d) was not accepted: %s\n", b.index, b.lines.front().number,
                     b.lines.back().number,
                     describeError(r, [&](int i) {
                       return i >= 0 && static_cast<size_t>(i) < b.lines.size()
                                  ? "line " + std::to_string(b.lines[i].number)
                                  : "item " + std::to_string(i);
                     }).c_str());
        std::fprintf(stderr, "Batches before it are recorded in %s; fix the problem and run the same command again.\n",
                     journal.path().c_str());
        return kExitApi;
      }
      JournalEntry e;
      if (auto err = acceptedEntry(r, b, e)) {
        progress.finish();
        std::fprintf(stderr, "error: %s\n", err->c_str());
        return kExitApi;
      }
      if (r.body.find("\"deduplicated\":true") != std::string::npos) ++deduplicated;
      testHookAfterAccept(++sent_now);
      if (auto err = journal.append(e)) {
        progress.finish();
        std::fprintf(stderr, "error: %s\n", err->c_str());
        return kExitApi;
      }
      accepted[b.index] = std::move(e);
    }
    submitted += b.lines.size();
    progress.update(submitted, "batch " + std::to_string(b.index + 1) + "/" + std::to_string(input.batches.size()));
  }
  progress.finish();
  say(flags.quiet, std::to_string(input.runs) + " runs in " + std::to_string(input.batches.size()) + " batches: " +
                       std::to_string(input.batches.size() - skipped_batches) + " sent now, " +
                       std::to_string(skipped_batches) + " already sent earlier (journal " + journal.path() + ")" +
                       (deduplicated ? ", " + std::to_string(deduplicated) + " recognised by the API as repeats" : ""));

  std::map<std::string, RunResult> results;
  int code = kExitOk;
  if (flags.wait) {
    std::vector<std::string> ids;
    for (const auto& [i, e] : accepted) ids.push_back(e.batch_id);
    Progress done("complete", input.runs, flags.quiet);
    BatchTotals totals;
    // A batch whose every item named an existing run (its own idempotency_key) has no runs of its
    // own. The API answers it complete (total 0) once its batch.completed is read; until then (or
    // from an ingest that answers 404 for it) it is told apart from one not readable yet by where
    // its runs are.
    auto has_no_runs = [&](const std::string& batch_id) {
      for (const auto& [i, e] : accepted) {
        if (e.batch_id != batch_id) continue;
        for (const auto& run_id : e.run_ids) {
          RunSnapshot snap;
          if (readRun(api, run_id, snap) || !snap.found || snap.batch_id == batch_id) return false;
        }
        return true;
      }
      return false;
    };
    if (auto err = waitForBatches(api, ids, done, totals, flags.poll_ms, has_no_runs)) {
      done.finish();
      std::fprintf(stderr, "error: %s\n", err->c_str());
      return kExitApi;
    }
    done.finish(describeCounts(totals.counts));
    for (const auto& id : ids) {
      if (auto err = fetchBatchRuns(api, id, results)) {
        std::fprintf(stderr, "error: %s\n", err->c_str());
        return kExitApi;
      }
    }
    // Items answered with an existing run of another batch: read those runs one by one.
    std::vector<std::string> elsewhere;
    for (const auto& [i, e] : accepted) {
      for (const auto& run_id : e.run_ids) {
        if (!results.count(run_id)) elsewhere.push_back(run_id);
      }
    }
    std::sort(elsewhere.begin(), elsewhere.end());
    elsewhere.erase(std::unique(elsewhere.begin(), elsewhere.end()), elsewhere.end());
    if (auto err = waitForRuns(api, elsewhere, results, flags.poll_ms)) {
      std::fprintf(stderr, "error: %s\n", err->c_str());
      return kExitApi;
    }
    for (const auto& [id, r] : results) {
      if (r.status != "completed") code = kExitNotAllCompleted;
    }
  }
  if (auto err = writeResults(flags.results_path, input, accepted, results)) {
    std::fprintf(stderr, "error: %s\n", err->c_str());
    return kExitApi;
  }
  say(flags.quiet, "results: " + flags.results_path);
  return code;
}

}  // namespace batchrun::cli
