// RunView's reads: a run by id, lists by project or batch with cursor paging (walking entries and
// blocks in run-id order), batch totals, and serving records fetched from Kafka outside the lock.
#include <algorithm>
#include <mutex>

#include "batchrun/ingest/read/run_view.hpp"

namespace batchrun::ingest {

Run RunView::summaryOf(const Fields& f) const {
  Run r;
  r.run_id = formatUuid(f.key.id);
  r.project = projects_.names[f.key.project];
  r.workflow_id = workflows_.names[f.workflow];
  if (f.batch != kNoBatch) {
    r.batch_id = batches_[f.batch].id;
    r.batch_size = batches_[f.batch].declared;
  }
  r.status = f.status;
  r.created_at = f.created_at;
  r.completed_at = f.completed_at;
  r.version = f.version;
  r.partition = f.partition;
  return r;
}

RunView::Pending RunView::pendingOf(const Fields& f) const {
  Pending p{summaryOf(f), f.record ? *f.record : std::string(), {}};
  if (f.offset >= 0) p.ref = RecordRef{topics_.names[f.topic], f.partition, f.offset};
  return p;
}

Result<std::vector<Run>> RunView::serve(std::vector<Pending> pending) const {
  // Read outside the view's lock: a Kafka round trip must not hold up the follower or writers.
  std::vector<RecordRef> refs;
  std::vector<size_t> fetched;
  toRead(pending, refs, fetched);
  if (!refs.empty()) {
    auto values = reader_->read(refs);
    if (!values) return values.error();
    for (size_t j = 0; j < fetched.size(); ++j) {
      if ((*values)[j]) pending[fetched[j]].record = std::move(*(*values)[j]);
    }
  }
  return decode(pending);
}

void RunView::toRead(const std::vector<Pending>& pending, std::vector<RecordRef>& refs,
                     std::vector<size_t>& slots) const {
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].record.empty() && pending[i].ref.offset >= 0 && reader_) {
      refs.push_back(pending[i].ref);
      slots.push_back(i);
    }
  }
}

bool RunView::fillCached(std::vector<Pending>& pending) const {
  std::vector<RecordRef> refs;
  std::vector<size_t> slots;
  toRead(pending, refs, slots);
  if (refs.empty()) return true;
  auto values = reader_->readCached(refs);
  if (!values) return false;
  for (size_t j = 0; j < slots.size(); ++j) pending[slots[j]].record = std::move((*values)[j]);
  return true;
}

std::vector<Run> RunView::decode(std::vector<Pending>& pending) {
  std::vector<Run> out;
  out.reserve(pending.size());
  for (auto& p : pending) {
    // A record gone from Kafka (retention), or never readable here: the index fields are what is known.
    auto run = p.record.empty() ? Result<Run>(Error::notFound("no record")) : decodeRun(p.record);
    if (!run || run->run_id != p.run.run_id) {
      out.push_back(std::move(p.run));
      continue;
    }
    run->partition = p.run.partition;
    out.push_back(std::move(*run));
  }
  return out;
}

std::optional<Run> RunView::summary(std::string_view project, std::string_view run_id) const {
  std::shared_lock lock(mu_);
  const auto f = findLocked(project, run_id);
  if (!f) return std::nullopt;
  return summaryOf(*f);
}

bool RunView::pendingRun(std::string_view project, std::string_view run_id, std::vector<Pending>& pending) const {
  std::shared_lock lock(mu_);
  const auto f = findLocked(project, run_id);
  if (!f) return false;
  pending.push_back(pendingOf(*f));
  return true;
}

Result<std::optional<Run>> RunView::get(std::string_view project, std::string_view run_id) const {
  std::vector<Pending> pending;
  if (!pendingRun(project, run_id, pending)) return std::optional<Run>();
  auto runs = serve(std::move(pending));
  if (!runs) return runs.error();
  return std::optional<Run>(std::move(runs->front()));
}

std::optional<std::optional<Run>> RunView::getNow(std::string_view project, std::string_view run_id) const {
  std::vector<Pending> pending;
  if (!pendingRun(project, run_id, pending)) return std::optional<Run>();
  if (!fillCached(pending)) return std::nullopt;
  return std::optional<Run>(std::move(decode(pending).front()));
}

std::optional<uint32_t> RunView::findBatch(uint32_t project, std::string_view batch_id) const {
  auto it = batch_ids_.find(std::to_string(project) + "/" + std::string(batch_id));
  if (it == batch_ids_.end()) return std::nullopt;
  return it->second;
}

Result<RunPage> RunView::list(std::string_view project, const RunQuery& q) const {
  RunPage page;
  std::vector<Pending> pending;
  {
    std::shared_lock lock(mu_);
    collectLocked(project, q, page, pending);
  }
  auto runs = serve(std::move(pending));
  if (!runs) return runs.error();
  page.runs = std::move(*runs);
  return page;
}

std::optional<RunPage> RunView::listNow(std::string_view project, const RunQuery& q) const {
  RunPage page;
  std::vector<Pending> pending;
  {
    std::shared_lock lock(mu_);
    collectLocked(project, q, page, pending);
  }
  if (!fillCached(pending)) return std::nullopt;
  page.runs = decode(pending);
  return page;
}

void RunView::collectLocked(std::string_view project, const RunQuery& q, RunPage& page,
                            std::vector<Pending>& pending) const {
  auto p = projects_.find(project);
  if (!p) return;
  std::optional<uint32_t> workflow;
  if (!q.workflow_id.empty()) {
    workflow = workflows_.find(q.workflow_id);
    if (!workflow) return;
  }
  Key start{*p, {}};
  bool after = !q.after_run_id.empty() && parseUuid(q.after_run_id, start.id);
  auto matches = [&](const Fields& f) {
    return (!q.status || f.status == *q.status) && (!workflow || f.workflow == *workflow) &&
           f.created_at >= q.created_after && f.created_at < q.created_before;
  };
  // Walks candidates in run-id order; stops once the page is full and one more match is known
  // to exist (so next_cursor is only given when there is something after it).
  auto take = [&](const Fields& f) {
    if (!matches(f)) return true;
    if (static_cast<int>(pending.size()) == q.limit) {
      page.last_run_id = pending.back().run.run_id;
      return false;
    }
    pending.push_back(pendingOf(f));
    return true;
  };
  auto by_key = [](const Key& k, const auto& it) { return k < it->first; };
  if (!q.batch_id.empty()) {
    auto b = findBatch(*p, q.batch_id);
    if (!b) return;
    const Batch& batch = batches_[*b];
    auto run = after ? std::upper_bound(batch.runs.begin(), batch.runs.end(), start, by_key) : batch.runs.begin();
    auto block = std::upper_bound(batch.blocks.begin(), batch.blocks.end(), start, by_key);
    size_t slot = 0;
    if (block != batch.blocks.begin() && inBlock(**std::prev(block), start, slot)) {
      --block;
      if (after) ++slot;
    }
    walkLocked(run, batch.runs.end(), block, batch.blocks.end(), slot, take);
    return;
  }
  const Key next_project{*p + 1, {}};
  auto run = after ? runs_.upper_bound(start) : runs_.lower_bound(start);
  auto block = blocks_.upper_bound(start);
  size_t slot = 0;
  if (block != blocks_.begin() && inBlock(*std::prev(block), start, slot)) {
    --block;
    if (after) ++slot;
  }
  walkLocked(run, runs_.lower_bound(next_project), block, blocks_.lower_bound(next_project), slot, take);
}

template <typename RunIt, typename BlockIt, typename Take>
void RunView::walkLocked(RunIt run, RunIt runs_end, BlockIt block, BlockIt blocks_end, size_t slot, Take take) const {
  auto settle = [&] {  // to the next slot not moved
    for (; block != blocks_end; ++block, slot = 0) {
      const auto& slots = blockOf(block).second.slots;
      while (slot < slots.size() && slots[slot].moved) ++slot;
      if (slot < slots.size()) return;
    }
  };
  settle();
  for (;;) {
    const bool in_runs = run != runs_end, in_block = block != blocks_end;
    if (!in_runs && !in_block) return;
    const Fields next = in_block ? fieldsOf(blockOf(block), slot) : Fields{};
    if (in_runs && (!in_block || entryOf(run).first < next.key)) {
      if (!take(fieldsOf(entryOf(run)))) return;
      ++run;
    } else {
      if (!take(next)) return;
      ++slot;
      settle();
    }
  }
}

std::optional<BatchTotals> RunView::batch(std::string_view project, std::string_view batch_id) const {
  std::shared_lock lock(mu_);
  auto p = projects_.find(project);
  if (!p) return std::nullopt;
  auto b = findBatch(*p, batch_id);
  if (!b) return std::nullopt;
  const Batch& batch = batches_[*b];
  BatchTotals t;
  t.batch_id = batch.id;
  t.counts = batch.counts;
  int seen = 0;
  for (int i = 0; i < 7; ++i) {
    seen += batch.counts[i];
    if (isTerminal(static_cast<RunStatus>(i))) t.terminal += batch.counts[i];
  }
  t.total = std::max(seen, batch.declared);
  t.created_at = batch.created_at;
  if (t.total > 0 && t.terminal == t.total) t.completed_at = batch.completed_at;
  return t;
}

std::optional<std::vector<OpenRun>> RunView::openRuns(std::string_view project, std::string_view batch_id) const {
  std::shared_lock lock(mu_);
  auto p = projects_.find(project);
  if (!p) return std::nullopt;
  auto b = findBatch(*p, batch_id);
  if (!b) return std::nullopt;
  std::vector<OpenRun> open;
  const Batch& batch = batches_[*b];
  walkLocked(batch.runs.begin(), batch.runs.end(), batch.blocks.begin(), batch.blocks.end(), 0, [&](const Fields& f) {
    // A run another batch requested too (aliasLocked) is that batch's to cancel.
    if (!isTerminal(f.status) && f.batch == *b) open.push_back({formatUuid(f.key.id), f.partition});
    return true;
  });
  return open;
}

size_t RunView::size() const {
  std::shared_lock lock(mu_);
  return runs_.size() + block_runs_;
}

}  // namespace batchrun::ingest
