// RunView::list against a brute-force model of the same runs: project isolation, every filter
// alone and combined, paging (never a skip or a repeat, also while runs change status between
// pages; a cursor only when more follow), and the batch index giving the project walk's pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "batchrun/ingest/read/run_query.hpp"
#include "batchrun/ingest/read/run_view.hpp"
#include "run_view_records.hpp"

using namespace batchrun;
using namespace batchrun::ingest;
using namespace batchrun::ingest::testing;

namespace {

constexpr RunStatus kStatuses[] = {RunStatus::kQueued,    RunStatus::kRunning, RunStatus::kRetrying,
                                   RunStatus::kCompleted, RunStatus::kFailed,  RunStatus::kCancelled,
                                   RunStatus::kTimedOut};
constexpr int kAcmeRuns = 48;

struct Page {
  std::vector<std::string> ids;
  std::string last_run_id;
  bool operator==(const Page&) const = default;
};

Page pageOf(const RunPage& p) {
  Page out{{}, p.last_run_id};
  for (const auto& r : p.runs) out.ids.push_back(r.run_id);
  return out;
}

std::vector<std::string> joined(const std::vector<Page>& pages) {
  std::vector<std::string> ids;
  for (const auto& p : pages) ids.insert(ids.end(), p.ids.begin(), p.ids.end());
  return ids;
}

RunQuery query(std::string batch = {}, std::optional<RunStatus> status = {}, std::string workflow = {},
               int64_t after = 0, int64_t before = std::numeric_limits<int64_t>::max()) {
  RunQuery q;
  q.batch_id = std::move(batch);
  q.status = status;
  q.workflow_id = std::move(workflow);
  q.created_after = after;
  q.created_before = before;
  return q;
}

std::vector<RunQuery> cases();

class RunViewList : public ::testing::Test {
 protected:
  // Three projects; "acme" is interned second so its runs sit between the others' in the view's
  // (project, run id) order. "other" reuses acme's run ids and one of its batch ids.
  void SetUp() override {
    for (int n = 1; n <= 20; ++n) {
      auto r = laneRun("other", n, n % 2 ? "" : batchId(1), 10);
      r.created_at = 1000 + 10 * n;
      upsert(r, 0);
    }
    for (int i = 0; i < kAcmeRuns; ++i) {
      int n = (i * 17) % kAcmeRuns + 1;  // a permutation: runs arrive out of id order
      auto r = laneRun("acme", n, n % 3 == 0 ? batchId(1) : n % 3 == 1 ? batchId(2) : "", 16);
      r.workflow_id = n % 4 < 2 ? "wf-a" : "wf-b";
      r.created_at = 1000 + 10 * ((n * 29) % kAcmeRuns);  // not in id order
      upsert(r, -1);
      RunStatus s = kStatuses[(n * 5) % 7];
      if (s != RunStatus::kQueued) upsert(advanced(r, s, r.created_at + 5), 1);
    }
    for (int n = 100; n < 106; ++n) upsert(laneRun("zeta", n), 2);
  }

  void upsert(const batchrun::Run& r, int32_t partition) {
    ASSERT_TRUE(view_.apply(encodeRun(r), partition));
    auto it = std::find_if(model_.begin(), model_.end(),
                           [&](const batchrun::Run& m) { return m.project == r.project && m.run_id == r.run_id; });
    if (it == model_.end()) model_.push_back(r);
    else if (r.version > it->version) *it = r;
  }

  // One request as the write path indexes it once acknowledged: runs from..to (consecutive ids, so
  // the view holds them as one block), created together, workflows alternating.
  void accept(const std::string& project, int from, int to, const std::string& batch, int64_t created_at) {
    std::vector<batchrun::Run> runs;
    std::vector<int32_t> partitions;
    std::vector<int64_t> offsets;
    for (int n = from; n <= to; ++n) {
      auto r = laneRun(project, n, batch, to - from + 1);
      r.workflow_id = n % 2 ? "wf-a" : "wf-b";
      r.created_at = created_at;
      runs.push_back(r);
      partitions.push_back(n % 3);
      offsets.push_back(n);
      model_.push_back(r);
    }
    view_.noteAccepted(runs, partitions, offsets);
  }

  // What list() must return, all pages together: the query's definition, written out.
  std::vector<std::string> expected(const std::string& project, const RunQuery& q) const {
    std::vector<std::string> ids;
    for (const auto& r : model_) {
      if (r.project == project && (q.batch_id.empty() || r.batch_id == q.batch_id) &&
          (!q.status || r.status == *q.status) && (q.workflow_id.empty() || r.workflow_id == q.workflow_id) &&
          r.created_at >= q.created_after && r.created_at < q.created_before) {
        ids.push_back(r.run_id);
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Follows the cursor to the end (bounded, so a cursor that never advances fails instead of hanging).
  std::vector<Page> pages(const std::string& project, RunQuery q) const {
    std::vector<Page> out;
    for (int i = 0; i < 200; ++i) {
      out.push_back(pageOf(listRuns(view_, project, q)));
      if (out.back().last_run_id.empty()) return out;
      q.after_run_id = out.back().last_run_id;
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  // Pages through acme (or one of its batches), 4 runs a page; between pages a run already listed
  // and the next one to list finish. Returns every id listed, in order.
  std::vector<std::string> pageWhileRunsFinish(const std::string& batch) {
    const auto all = expected("acme", query(batch));
    auto q = query(batch);
    q.limit = 4;
    std::vector<std::string> seen;
    for (int i = 0; i < 50; ++i) {
      auto page = listRuns(view_, "acme", q);
      for (const auto& r : page.runs) seen.push_back(r.run_id);
      if (page.last_run_id.empty()) return seen;
      auto next = std::upper_bound(all.begin(), all.end(), page.last_run_id);
      if (next == all.end() || seen.empty()) break;
      for (const std::string& id : {seen.front(), *next}) {
        const auto& r = held("acme", id);
        upsert(advanced(r, isTerminal(r.status) ? r.status : RunStatus::kCompleted, 9999), 1);
      }
      q.after_run_id = page.last_run_id;
    }
    ADD_FAILURE() << "a cursor was given with nothing after it, or paging did not end";
    return seen;
  }

  // Pages through acme's queued runs (or a batch's), one a page. Between pages the last queued run
  // still ahead starts running (it must never be listed), and so does the run just listed (which
  // must not disturb the pages after it). Every other queued run must be listed once, in order.
  void checkQueuedPagingWhileTheyStart(const std::string& batch) {
    auto q = query(batch, RunStatus::kQueued);
    q.limit = 1;
    const auto queued = expected("acme", q);
    ASSERT_GE(queued.size(), 2u);
    std::set<std::string> started_ahead;
    std::vector<std::string> seen;
    for (int i = 0; i < 50; ++i) {
      auto page = listRuns(view_, "acme", q);
      for (const auto& r : page.runs) seen.push_back(r.run_id);
      if (page.last_run_id.empty()) break;
      auto ahead = expected("acme", q);
      if (ahead.back() > page.last_run_id && started_ahead.insert(ahead.back()).second) {
        upsert(advanced(held("acme", ahead.back()), RunStatus::kRunning), 1);
      }
      upsert(advanced(held("acme", page.last_run_id), RunStatus::kRunning), 1);
      q.after_run_id = page.last_run_id;
    }
    ASSERT_FALSE(started_ahead.empty());
    std::vector<std::string> want;
    for (const auto& id : queued) {
      if (!started_ahead.count(id)) want.push_back(id);
    }
    EXPECT_EQ(seen, want);
  }

  // Every case of cases() as one page, against the model.
  void checkFilters() {
    const size_t all = expected("acme", query()).size();
    for (const auto& q : cases()) {
      auto want = expected("acme", q);
      auto whole = q;
      whole.limit = kMaxPageSize;
      EXPECT_EQ(pageOf(listRuns(view_, "acme", whole)), (Page{want, ""}))
          << "batch=" << q.batch_id << " status=" << (q.status ? toString(*q.status) : "-")
          << " workflow=" << q.workflow_id << " created=[" << q.created_after << "," << q.created_before << ")";
      // Keeps the cases honest: every filter here selects something, and not everything.
      if (q.batch_id.empty() && !q.status && q.workflow_id.empty() && q.created_after == 0 &&
          q.created_before == std::numeric_limits<int64_t>::max()) {
        continue;
      }
      EXPECT_GT(want.size(), 0u);
      EXPECT_LT(want.size(), all);
    }
    EXPECT_TRUE(listRuns(view_, "acme", query({}, {}, "wf-unknown")).runs.empty());
    EXPECT_TRUE(listRuns(view_, "acme", query(batchId(99))).runs.empty());
  }

  // Every case of cases() paged at several sizes: no skip, no repeat, a cursor only when more follow.
  void checkPaging() {
    for (const auto& base : cases()) {
      auto want = expected("acme", base);
      for (int limit : {1, 2, 3, 5, 16, 48, 100}) {
        auto q = base;
        q.limit = limit;
        auto got = pages("acme", q);
        SCOPED_TRACE("batch=" + q.batch_id + " limit=" + std::to_string(limit));
        EXPECT_EQ(joined(got), want);
        const auto per_page = static_cast<size_t>(limit);
        const size_t want_pages = want.empty() ? 1 : (want.size() + per_page - 1) / per_page;
        EXPECT_EQ(got.size(), want_pages);
        for (size_t i = 0; i + 1 < got.size(); ++i) {
          EXPECT_EQ(got[i].ids.size(), per_page);
          EXPECT_EQ(got[i].last_run_id, got[i].ids.back());
        }
        EXPECT_EQ(got.back().last_run_id, "");  // also when the last page is exactly full
      }
    }
  }

  const batchrun::Run& held(const std::string& project, const std::string& id) const {
    return *std::find_if(model_.begin(), model_.end(),
                         [&](const batchrun::Run& m) { return m.project == project && m.run_id == id; });
  }

  RunView view_;
  std::vector<batchrun::Run> model_;  // the winning record of every run, every project
};

// Queries that each filter, alone and combined, with and without a batch.
std::vector<RunQuery> cases() {
  return {
      query(),
      query({}, RunStatus::kRunning),
      query({}, RunStatus::kQueued),
      query({}, {}, "wf-b"),
      query({}, {}, {}, 1200),
      query({}, {}, {}, 0, 1200),
      query({}, {}, {}, 1100, 1300),
      query({}, RunStatus::kCompleted, "wf-a"),
      query({}, RunStatus::kFailed, "wf-b", 1050, 1400),
      query(batchId(1)),
      query(batchId(2), RunStatus::kQueued),
      query(batchId(1), {}, "wf-b", 1100),
      query(batchId(2), {}, {}, 0, 1250),
      query(batchId(2), RunStatus::kRetrying, "wf-a", 1000, 1470),
  };
}

}  // namespace

TEST_F(RunViewList, EachProjectSeesOnlyItsOwnRuns) {
  auto acme = listRuns(view_, "acme", query());
  ASSERT_EQ(acme.runs.size(), 48u);
  for (const auto& r : acme.runs) EXPECT_EQ(r.project, "acme");
  auto other = listRuns(view_, "other", query());
  ASSERT_EQ(other.runs.size(), 20u);
  for (const auto& r : other.runs) EXPECT_EQ(r.project, "other");
  EXPECT_EQ(listRuns(view_, "zeta", query()).runs.size(), 6u);
  EXPECT_TRUE(listRuns(view_, "nobody", query()).runs.empty());

  // The same run id and batch id in two projects are two runs and two batches.
  EXPECT_EQ(getRun(view_, "other", runId(1))->workflow_id, "wf");
  EXPECT_EQ(getRun(view_, "acme", runId(1))->workflow_id, "wf-a");
  auto shared = listRuns(view_, "other", query(batchId(1)));
  ASSERT_EQ(shared.runs.size(), 10u);
  for (const auto& r : shared.runs) EXPECT_EQ(r.project, "other");
  EXPECT_EQ(view_.batch("other", batchId(1))->total, 10);
  EXPECT_EQ(view_.batch("acme", batchId(1))->total, 16);
  EXPECT_TRUE(listRuns(view_, "zeta", query(batchId(1))).runs.empty());
  EXPECT_TRUE(listRuns(view_, "other", query(batchId(2))).runs.empty());
}

TEST_F(RunViewList, FiltersAloneAndCombinedMatchTheirDefinition) { checkFilters(); }

TEST_F(RunViewList, CreatedAfterIsInclusiveAndCreatedBeforeExclusive) {
  const std::string at = runId(1);  // created_at 1000 + 10 * 29 = 1290
  ASSERT_EQ(held("acme", at).created_at, 1290);
  auto ids = [&](const RunQuery& q) { return pageOf(listRuns(view_, "acme", q)).ids; };
  EXPECT_EQ(ids(query({}, {}, {}, 1290, 1291)), std::vector<std::string>{at});
  EXPECT_TRUE(ids(query({}, {}, {}, 1281, 1290)).empty());
  EXPECT_TRUE(ids(query({}, {}, {}, 1291, 1300)).empty());
}

TEST_F(RunViewList, PagesNeverSkipOrRepeatAndCursorOnlyWhenMoreFollow) { checkPaging(); }

TEST_F(RunViewList, PagingWhileRunsChangeStatusNeitherSkipsNorRepeats) {
  const auto want = expected("acme", query());
  EXPECT_EQ(pageWhileRunsFinish({}), want);
}

TEST_F(RunViewList, PagingABatchWhileRunsChangeStatusNeitherSkipsNorRepeats) {
  const auto want = expected("acme", query(batchId(1)));
  EXPECT_EQ(pageWhileRunsFinish(batchId(1)), want);
}

TEST_F(RunViewList, StatusFilteredPagingDropsRunsThatLeaveTheStatusAhead) { checkQueuedPagingWhileTheyStart({}); }

TEST_F(RunViewList, StatusFilteredPagingOfABatchDropsRunsThatLeaveTheStatusAhead) {
  checkQueuedPagingWhileTheyStart(batchId(2));
}

TEST_F(RunViewList, BatchIndexAndProjectWalkGiveTheSamePages) {
  // A project holding one batch only: asking for the batch must page exactly like asking for all.
  const std::string b = batchId(9);
  for (int n = 30; n >= 1; --n) {  // reverse id order: the batch index must sort on insert
    auto r = laneRun("solo", n, b, 30);
    r.workflow_id = n % 3 ? "wf-a" : "wf-b";
    r.created_at = 1000 + 10 * ((n * 7) % 30);
    upsert(r, 0);
    if (n % 4) upsert(advanced(r, n % 4 == 1 ? RunStatus::kRunning : RunStatus::kCompleted, 1), 0);
  }
  for (auto q : {query(), query({}, RunStatus::kRunning), query({}, {}, "wf-b"), query({}, {}, {}, 1080, 1230),
                 query({}, RunStatus::kCompleted, "wf-a", 1100)}) {
    for (int limit : {1, 2, 3, 4, 7, 30}) {
      q.limit = limit;
      auto by_batch = q;
      by_batch.batch_id = b;
      auto walk = pages("solo", q);
      EXPECT_EQ(pages("solo", by_batch), walk) << "limit " << limit;
      EXPECT_EQ(joined(walk), expected("solo", q));
    }
  }
}

TEST_F(RunViewList, CursorsFromTheApiPageThroughEverything) {
  // The route's loop: next_cursor = encodeCursor(last_run_id), parsed back by parseRunQuery.
  std::map<std::string, std::string> params = {{"limit", "7"}, {"workflow_id", "wf-a"}};
  std::vector<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto parsed = parseRunQuery(params);
    ASSERT_TRUE(parsed.errors.empty());
    auto page = listRuns(view_, "acme", parsed.query);
    for (const auto& r : page.runs) seen.push_back(r.run_id);
    if (page.last_run_id.empty()) break;
    params["cursor"] = encodeCursor(page.last_run_id);
  }
  EXPECT_EQ(seen, expected("acme", query({}, {}, "wf-a")));
}

TEST_F(RunViewList, UpperCaseBatchIdFromTheApiFindsTheBatch) {
  std::string upper = batchId(1);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, batchId(1));
  auto parsed = parseRunQuery({{"batch_id", upper}, {"limit", "1000"}});
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(pageOf(listRuns(view_, "acme", parsed.query)).ids, expected("acme", query(batchId(1))));
}

// The same view with requests held as blocks (consecutive ids, noteAccepted): one batch wholly a
// block, one batch of runs_ entries and a block, loose runs between the blocks, and some block
// runs moved on to later states (out of their block).
class RunViewListWithBlocks : public RunViewList {
 protected:
  void SetUp() override {
    RunViewList::SetUp();
    accept("acme", 49, 64, batchId(3), 1105);
    for (int n = 65; n <= 72; ++n) {
      auto r = laneRun("acme", n);
      r.created_at = 1000 + 10 * (n - 40);
      upsert(r, 0);
    }
    accept("acme", 73, 88, batchId(2), 1333);
    accept("other", 49, 60, batchId(1), 1200);  // the same ids, another project
    for (int n : {49, 52, 60, 64, 73, 74, 81, 88}) {
      upsert(advanced(held("acme", runId(n)), kStatuses[1 + n % 6], 1400), 1);
    }
  }
};

std::vector<RunQuery> blockCases() {
  auto all = cases();
  for (auto q : {query(batchId(3)), query(batchId(3), RunStatus::kQueued, "wf-b"), query(batchId(2), {}, "wf-a", 1300)}) {
    all.push_back(q);
  }
  return all;
}

TEST_F(RunViewListWithBlocks, BlocksAreListedWithTheOtherRunsInIdOrder) {
  checkFilters();
  for (const auto& q : blockCases()) {
    auto whole = q;
    whole.limit = kMaxPageSize;
    EXPECT_EQ(pageOf(listRuns(view_, "acme", whole)).ids, expected("acme", q)) << q.batch_id;
  }
  EXPECT_EQ(view_.size(), model_.size());
  auto moved = getRun(view_, "acme", runId(52));
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->status, held("acme", runId(52)).status);
  auto queued = view_.summary("acme", runId(50));
  ASSERT_TRUE(queued);
  EXPECT_EQ(queued->status, RunStatus::kQueued);
  EXPECT_EQ(queued->batch_id, batchId(3));
  EXPECT_EQ(queued->workflow_id, "wf-b");
  EXPECT_EQ(queued->partition, 50 % 3);
  EXPECT_EQ(queued->created_at, 1105);
  EXPECT_FALSE(view_.summary("acme", runId(89)));
  EXPECT_FALSE(view_.summary("zeta", runId(50)));
}

TEST_F(RunViewListWithBlocks, BatchTotalsCountBlockRunsAndTheirLaterStates) {
  auto t = view_.batch("acme", batchId(3));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->total, 16);
  EXPECT_EQ(t->counts[static_cast<int>(RunStatus::kQueued)], 12);
  auto open = view_.openRuns("acme", batchId(3));
  ASSERT_TRUE(open);
  std::vector<std::string> want;
  for (const auto& id : expected("acme", query(batchId(3)))) {
    if (!isTerminal(held("acme", id).status)) want.push_back(id);
  }
  std::vector<std::string> got;
  for (const auto& r : *open) {
    got.push_back(r.run_id);
    EXPECT_EQ(r.partition, held("acme", r.run_id).status == RunStatus::kQueued ? std::stoi(r.run_id.substr(24), nullptr, 16) % 3 : 1);
  }
  EXPECT_EQ(got, want);
}

TEST_F(RunViewListWithBlocks, PagesNeverSkipOrRepeatAndCursorOnlyWhenMoreFollow) { checkPaging(); }

TEST_F(RunViewListWithBlocks, PagingWhileRunsChangeStatusNeitherSkipsNorRepeats) {
  for (const std::string& batch : {std::string(), batchId(2), batchId(3)}) {
    const auto want = expected("acme", query(batch));
    EXPECT_EQ(pageWhileRunsFinish(batch), want) << batch;
  }
}

TEST_F(RunViewListWithBlocks, StatusFilteredPagingDropsRunsThatLeaveTheStatusAhead) {
  checkQueuedPagingWhileTheyStart(batchId(3));  // first: the project's walk starts every run it lists
  checkQueuedPagingWhileTheyStart({});
}
