// The dialects' reads and cancels by id, with the /v1 read side's second look (catch_up.hpp): what
// a Polos, Extend or Upstash client just wrote through another instance is never a false 404.
#include "batchrun/ingest/dialects/dialect_routes.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;
using Pistache::Http::ResponseWriter;

namespace {

CatchUp::Sync runsSync(const CompatDeps& d) {
  return [&view = d.view](std::function<void()> done) { view.syncThen(std::move(done)); };
}

void behind(ResponseWriter& rw, const ErrorReplier& err) {
  err(rw, Code::Service_Unavailable, "", "the read view is behind Kafka; retry", {}, 1);
}

}  // namespace

void readRun(CompatDeps& d, std::string project, std::string id, ResponseWriter rw, RunReply reply, ErrorReplier err,
             Look look) {
  auto answer = [&d, project, id, reply, err, look](ResponseWriter& w, const Result<std::optional<Run>>& found) {
    if (found && !*found && look == Look::kFirst) {
      return lookAgain(d.catch_up, d.reads, runsSync(d), w,
                       [&d, project, id, reply, err](ResponseWriter& again, Look l) {
                         readRun(d, project, id, std::move(again), reply, err, l);
                       },
                       busyReply(err));
    }
    if (found && !*found && look == Look::kBehind) return behind(w, err);
    reply(w, found);
  };
  d.reads.answer<std::optional<Run>>(std::move(rw), d.view.getNow(project, id),
                                     [&d, project, id] { return d.view.get(project, id); }, answer, busyReply(err));
}

void listRuns(CompatDeps& d, std::string project, RunQuery query, ResponseWriter rw, PageReply reply, ErrorReplier err,
              Look look) {
  // Every run of a batch is indexed at once: a batch the view knows is complete.
  const bool missing = !query.batch_id.empty() && !d.view.batch(project, query.batch_id);
  if (missing && look == Look::kFirst) {
    return lookAgain(d.catch_up, d.reads, runsSync(d), rw,
                     [&d, project, query, reply, err](ResponseWriter& again, Look l) {
                       listRuns(d, project, query, std::move(again), reply, err, l);
                     },
                     busyReply(err));
  }
  if (missing && look == Look::kBehind) return behind(rw, err);
  d.reads.answer<RunPage>(std::move(rw), d.view.listNow(project, query),
                          [&d, project, query] { return d.view.list(project, query); }, reply, busyReply(err));
}

void cancelTarget(CompatDeps& d, std::function<std::optional<Run>(const RunView&)> find, ResponseWriter rw,
                  std::function<void(ResponseWriter&, const std::optional<Run>&)> then, ErrorReplier err, Look look) {
  auto run = find(d.view);
  if (look == Look::kFirst && (!run || !isTerminal(run->status))) {
    return lookAgain(d.catch_up, d.reads, runsSync(d), rw,
                     [&d, find, then, err](ResponseWriter& again, Look l) {
                       cancelTarget(d, find, std::move(again), then, err, l);
                     },
                     busyReply(err));
  }
  if (!run && look == Look::kBehind) return behind(rw, err);
  then(rw, run);
}

}  // namespace batchrun::ingest
