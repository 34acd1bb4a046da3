#pragma once
// RunView: ingest's in-process view of every run, built by a TopicFollower over runs.index (queued
// runs, version 0: one record per accepted request naming its runs and where their lane records
// sit, run_index.hpp) and runs.state (version >= 1); for each run the record with the highest
// version wins. Indexed by (project, run id) in run-id order (UUIDv7 = creation order), by batch,
// and by project, so every read is scoped to the caller's project by construction.
//
// Per run it keeps a small fixed entry: the index fields and where the winning record sits in Kafka
// (topic, partition, offset). A run's bytes are fetched from Kafka when it is served (RecordReader):
// holding every run's ≈1 KB record made the view grow with every run accepted and cost ingest
// 10-17 % of its CPU in fresh pages (docs/performance.md "Ingest"). Records applied without a
// position (apply(), tests) keep their bytes. A request whose run ids are consecutive (no
// idempotency keys) is held, while its runs are queued, as one block of ≈ 24 bytes a run (Block);
// a run leaves it for its own entry when a later state of it arrives.
// Thread-safe: one writer (the follower thread, or noteAccepted() from the delivery thread) and many
// readers under a shared mutex.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/kafka/record_reader.hpp"
#include "batchrun/common/result.hpp"
#include "batchrun/common/records/run.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/ingest/read/run_index.hpp"

namespace batchrun::ingest {

// A validated GET /v1/runs query (see run_query.hpp for the parser).
struct RunQuery {
  std::string batch_id;                  // empty: any
  std::optional<RunStatus> status;
  std::string workflow_id;               // empty: any
  int64_t created_after = 0;             // unix ms, inclusive lower bound (0: none)
  int64_t created_before = std::numeric_limits<int64_t>::max();  // exclusive upper bound
  int limit = 50;
  std::string after_run_id;              // from the cursor: runs strictly after this id
};

struct RunPage {
  std::vector<Run> runs;
  std::string last_run_id;  // set when more runs may follow: the next cursor's position
};

struct BatchTotals {
  std::string batch_id;
  int total = 0;       // the batch's declared size, or the runs seen if more
  int terminal = 0;
  std::array<int, 7> counts{};  // indexed by RunStatus
  int64_t created_at = 0;
  int64_t completed_at = 0;     // 0 until every run is terminal
};

// A run that can still be cancelled, and where its control record goes.
struct OpenRun {
  std::string run_id;
  int32_t partition = -1;
};

class RunView {
 public:
  RunView() = default;
  ~RunView();
  RunView(const RunView&) = delete;
  RunView& operator=(const RunView&) = delete;

  // Starts following runs.index and runs.state from the beginning, and reads runs' records back
  // from the lane topics and runs.state (a KafkaRecordReader) unless setReader() gave one.
  // `kafka_reachable`, if given, lets reads fail at once while the cluster is unreachable.
  // Records it cannot take go to `poison` (kafka/poison.hpp); without one they are logged.
  Status follow(const KafkaSettings& settings, std::function<bool()> kafka_reachable = {},
                std::shared_ptr<FollowerHub> hub = nullptr, PoisonRecords* poison = nullptr);
  // Where served runs' bytes come from (without one, runs are served from the index fields only),
  // and the lane topics' prefix: a lane's topic is lane_topic_prefix + lane (follow() sets both).
  void setReader(std::unique_ptr<RecordReader> reader, std::string lane_topic_prefix);
  // True once the follower has read every partition to the end it had at start.
  bool caughtUp() const;
  // Calls `done` (on the follower's thread) once every record runs.index and runs.state hold now
  // has been applied — a miss is a 404 only after that (catch_up.hpp). At once without a follower
  // (a view fed directly).
  void syncThen(std::function<void()> done) const {
    if (follower_) follower_->syncThen(std::move(done)); else done();
  }
  void stop();

  // Applies one record (the JSON of encodeRun) that was read from `partition` of its topic, at
  // `offset` of `topic` when known (then its bytes are not kept). Older or equal versions than the
  // one held are ignored. Returns false for undecodable records.
  bool apply(std::string_view record, int32_t partition, std::string_view topic = {}, int64_t offset = -1);
  // Applies one runs.index record (run_index.hpp): its runs, queued, at their lane positions.
  // Returns false for an undecodable record.
  bool applyIndex(std::string_view record);
  // Read-your-writes: ingest calls this once Kafka has acknowledged a request's lane records, before
  // it writes their index record and answers, under one lock: the request's runs at their lane
  // positions (a partition < 0: not acknowledged, left out). Never parsed.
  void noteAccepted(const RunIndex& request);
  // The same from one request's Runs (they share project, batch, created_at and batch_size): runs[i]'s
  // record was acknowledged at offsets[i] of partitions[i] of its lane topic.
  void noteAccepted(const std::vector<Run>& runs, const std::vector<int32_t>& partitions,
                    const std::vector<int64_t>& offsets);
  // This view's instance id: the index records its ingest writes carry it, and the follower skips
  // them (noteAccepted indexed their runs already). New for every view, so a restarted ingest
  // reads its earlier records like anyone else's.
  const std::string& instance() const { return instance_; }

  // The run from the index alone (no input, output or other record fields; never reads Kafka):
  // identity, batch, workflow, status, times, version and partition.
  std::optional<Run> summary(std::string_view project, std::string_view run_id) const;
  // The full run; reads its record from Kafka. An error (retryable) when Kafka did not answer.
  Result<std::optional<Run>> get(std::string_view project, std::string_view run_id) const;
  Result<RunPage> list(std::string_view project, const RunQuery& query) const;
  // get() and list() when they need not wait for Kafka (every record needed is cached, or none
  // is); nullopt when a record must be fetched — then call get()/list() where waiting is fine.
  std::optional<std::optional<Run>> getNow(std::string_view project, std::string_view run_id) const;
  std::optional<RunPage> listNow(std::string_view project, const RunQuery& query) const;
  std::optional<BatchTotals> batch(std::string_view project, std::string_view batch_id) const;
  // The batch's runs that are not terminal yet; nullopt if the batch is unknown to this project.
  std::optional<std::vector<OpenRun>> openRuns(std::string_view project, std::string_view batch_id) const;
  size_t size() const;

  // Forget runs created more than `retention_ms` before clock.nowMs() (0: keep every run), as
  // runs.state deletes their records after the same time (KafkaSettings::run_retention_ms): the
  // view then holds the runs of the retention window, not every run ever read. Runs are forgotten
  // a batch at a time, in small steps taken as new runs are indexed (see forgetExpired).
  void setRetention(int64_t retention_ms, const Clock& clock);
  // One step of forgetting: looks at up to `max_entries` runs from where the last step stopped
  // (wrapping around) and forgets those created before `cutoff_ms`, with their whole batch; a run
  // indexed later that was created before the cutoff is ignored. Returns the runs forgotten.
  size_t forgetExpired(int64_t cutoff_ms, size_t max_entries);

 private:
  struct Key {
    uint32_t project = 0;
    Uuid id{};
    // The id is compared as two big-endian words (the order of its bytes): the defaulted
    // comparison calls memcmp, which showed in every insert of the write path's profile.
    static uint64_t word(const Uuid& u, size_t at) {
      uint64_t w;
      std::memcpy(&w, u.data() + at, sizeof w);
      return __builtin_bswap64(w);
    }
    friend bool operator<(const Key& a, const Key& b) {
      if (a.project != b.project) return a.project < b.project;
      const uint64_t ah = word(a.id, 0), bh = word(b.id, 0);
      return ah != bh ? ah < bh : word(a.id, 8) < word(b.id, 8);
    }
    friend bool operator==(const Key& a, const Key& b) = default;
  };
  static constexpr uint32_t kNoBatch = std::numeric_limits<uint32_t>::max();
  struct Entry {
    // The winning record's bytes, only when it has no position (offset < 0: apply(), tests). A
    // pointer, as nearly every entry has none: the inline string it replaced cost 31 heap bytes per
    // run (168 → 137 per queued run in bench/read_view).
    std::unique_ptr<std::string> record;
    int64_t offset = -1;    // the winning record's offset in topics_[topic], partition `partition`
    int64_t version = 0;
    int64_t created_at = 0;
    int64_t completed_at = 0;
    uint32_t batch = kNoBatch;  // index into batches_
    uint32_t workflow = 0;      // interned workflow id
    int32_t partition = -1;
    uint16_t topic = 0;         // interned topic name (topics_)
    RunStatus status = RunStatus::kQueued;
  };
  using Map = std::map<Key, Entry>;
  // A request's runs with consecutive ids (RunIndex::consecutive_ids), queued: one block instead of
  // a map entry per run — ≈ 24 instead of ≈ 137 heap bytes a run, and the delivery thread's inserts
  // and fresh pages were ≈ 10 % of ingest's CPU (docs/performance.md). A run moves into runs_ when a
  // later version of it is applied; its slot is then `moved`. A run id is in one place only.
  struct Slot {
    int64_t offset = -1;  // its lane record's position
    int32_t partition = -1;
    uint32_t workflow = 0;
    uint16_t topic = 0;
    bool moved = false;
  };
  struct Block {
    uint32_t batch = kNoBatch;
    int64_t created_at = 0;
    size_t live = 0;          // slots not moved
    std::vector<Slot> slots;  // slot i: the block's first id plus i (uuidPlus)
  };
  using Blocks = std::map<Key, Block>;  // by (project, first id)
  struct Batch {
    uint32_t project = 0;
    std::string id;
    int declared = 0;                       // batch_size of its runs
    std::array<int, 7> counts{};
    int64_t created_at = 0;
    int64_t completed_at = 0;               // latest completed_at of its runs
    std::vector<Map::const_iterator> runs;  // sorted by run id; map iterators are stable
    std::vector<Blocks::iterator> blocks;   // sorted by first id
  };
  // One run's fields, from runs_ or a block slot: what is served and filtered on.
  struct Fields {
    Key key;
    const std::string* record = nullptr;
    int64_t offset = -1, version = 0, created_at = 0, completed_at = 0;
    uint32_t batch = kNoBatch, workflow = 0;
    int32_t partition = -1;
    uint16_t topic = 0;
    RunStatus status = RunStatus::kQueued;
  };
  static Fields fieldsOf(const Map::value_type& kv);
  static Fields fieldsOf(const Blocks::value_type& block, size_t slot);
  // The block slot holding `key` (not moved), if any.
  struct SlotAt {
    Blocks::iterator block;
    size_t slot = 0;
  };
  std::optional<SlotAt> slotLocked(const Key& key);
  // The block (blocks_ or a const view of it) whose slot `slot` holds `key`, not moved; end() if none.
  template <typename BlockMap>
  static auto liveSlot(BlockMap& blocks, const Key& key, size_t& slot);
  // Whether `key` is one of the block's ids (moved or not), and which.
  static bool inBlock(const Blocks::value_type& block, const Key& key, size_t& slot);
  // Moves a block's run into runs_ (unchanged: queued, version 0), dropping the block once empty.
  Map::iterator takeFromBlockLocked(SlotAt at);
  // Indexes a request with consecutive ids as one block; false (nothing done) when one of its ids
  // is held already — then its runs are indexed one by one.
  bool indexBlockLocked(const RunIndex& request, uint32_t project, const std::vector<uint16_t>& lanes,
                        const std::vector<uint32_t>& workflows);
  size_t forgetBlockLocked(Blocks::iterator it);
  // Calls take(fields) for runs_ entries [run, runs_end) and the slots not moved of blocks
  // [block, blocks_end) (the first from `slot`), merged in run-id order, until it returns false.
  // The iterators are runs_'s and blocks_'s, or a Batch's vectors of them.
  template <typename RunIt, typename BlockIt, typename Take>
  void walkLocked(RunIt run, RunIt runs_end, BlockIt block, BlockIt blocks_end, size_t slot, Take take) const;
  static const Map::value_type& entryOf(Map::const_iterator it) { return *it; }
  static const Map::value_type& entryOf(std::vector<Map::const_iterator>::const_iterator it) { return **it; }
  static const Blocks::value_type& blockOf(Blocks::const_iterator it) { return *it; }
  static const Blocks::value_type& blockOf(std::vector<Blocks::iterator>::const_iterator it) { return **it; }
  // Looks strings up by string_view without building a std::string per lookup.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Small string interner: names are stored once, entries hold 4-byte ids.
  struct Names {
    std::vector<std::string> names;
    std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> ids;
    uint32_t intern(std::string_view name);
    std::optional<uint32_t> find(std::string_view name) const;
  };

  // The fields the indexes need, from a parsed record or straight from a Run.
  static constexpr uint32_t kNotInterned = std::numeric_limits<uint32_t>::max();
  struct Indexed {
    std::string_view run_id, project, batch_id, workflow_id;
    int64_t created_at = 0, completed_at = 0, version = 0, batch_size = 0;
    RunStatus status = RunStatus::kQueued;
    // project and workflow_id already interned by the caller (a request's runs share them: one
    // lookup per request instead of a hash and compare per run).
    uint32_t project_id = kNotInterned, workflow = kNotInterned;
  };
  // Where a record sits; offset < 0: unknown (its bytes are kept instead).
  struct Where {
    int32_t partition = -1;
    uint16_t topic = 0;
    int64_t offset = -1;
  };
  // A run being served: its index fields, and its bytes or where to read them.
  struct Pending {
    Run run;
    std::string record;
    RecordRef ref;
  };
  bool applyLocked(std::string record, const Where& where);
  bool indexLocked(const Indexed& f, std::string record, const Where& where);
  uint32_t batchLocked(uint32_t project, std::string_view batch_id);  // its index, created if new
  static void addToBatch(Batch& b, Map::iterator it);
  void aliasLocked(Map::iterator it, const Indexed& f);
  // f on the run's batch and on every other batch that requested it (aliases_).
  template <typename F>
  void forEachBatchLocked(const Key& key, const Entry& e, F f) {
    if (e.batch != kNoBatch) f(batches_[e.batch]);
    if (aliases_.empty()) return;
    if (auto a = aliases_.find(key); a != aliases_.end()) {
      for (uint32_t b : a->second) f(batches_[b]);
    }
  }
  // Follower callback: runs.index records are indexed run by run, runs.state records parsed.
  // Empty when taken, else why not.
  std::string applyFollowed(const Message& m, const std::string& index_topic);
  // A request's runs, queued, at their lane positions: one lookup of its shared names.
  void indexRequestLocked(const RunIndex& request);
  uint16_t topicIdLocked(std::string_view topic);
  Run summaryOf(const Fields& f) const;
  // The run (project, run id) under the caller's lock; nullopt when unknown.
  std::optional<Fields> findLocked(std::string_view project, std::string_view run_id) const;
  Pending pendingOf(const Fields& f) const;
  // The page's runs (at most q.limit) and its cursor, under the caller's shared lock.
  void collectLocked(std::string_view project, const RunQuery& q, RunPage& page, std::vector<Pending>& pending) const;
  // Decodes each pending run from its bytes, read from Kafka for those that have none.
  Result<std::vector<Run>> serve(std::vector<Pending> pending) const;
  // The positions of the pending runs whose bytes must be read, and their indexes in `pending`.
  void toRead(const std::vector<Pending>& pending, std::vector<RecordRef>& refs, std::vector<size_t>& slots) const;
  // Fills the pending runs' bytes from the reader's cache; false if one must be fetched.
  bool fillCached(std::vector<Pending>& pending) const;
  static std::vector<Run> decode(std::vector<Pending>& pending);
  // The pending run (0 or 1) of a get(); false when the id or project is unknown.
  bool pendingRun(std::string_view project, std::string_view run_id, std::vector<Pending>& pending) const;
  std::optional<uint32_t> findBatch(uint32_t project, std::string_view batch_id) const;
  // Retention (run_view_retention.cpp), under the unique lock.
  void maybeForgetLocked(size_t indexed);
  size_t forgetExpiredLocked(int64_t cutoff_ms, size_t max_entries);
  size_t forgetBatchLocked(uint32_t b);
  size_t forgetRunLocked(Map::const_iterator it);
  // Drops run `it` from batch `b`'s runs and counts (it was one of its runs by alias).
  void unlinkLocked(uint32_t b, Map::const_iterator it);

  mutable std::shared_mutex mu_;
  Map runs_;
  Blocks blocks_;
  size_t block_runs_ = 0;  // slots not moved, over all blocks
  Names projects_;
  Names workflows_;
  Names topics_;
  std::string lane_prefix_;  // a lane's topic is lane_prefix_ + lane (set by follow())
  std::vector<Batch> batches_;
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> batch_ids_;  // "project/batch" → index
  uint32_t last_batch_ = kNoBatch;
  std::vector<uint32_t> free_batches_;  // slots of forgotten batches, reused by batchLocked
  // Retention: the clock (null: keep every run), the window, the last cutoff applied (runs created
  // before it are not indexed), where the next step starts, and runs indexed since the last step.
  const Clock* clock_ = nullptr;
  int64_t retention_ms_ = 0;
  int64_t cutoff_ms_ = std::numeric_limits<int64_t>::min();
  std::optional<Key> forget_from_;
  std::optional<Key> forget_block_from_;
  size_t indexed_since_forget_ = 0;
  // Runs that more than one batch requested (see aliasLocked): the other batches. Empty unless two
  // ingest instances took the same per-item key at the same moment.
  std::map<Key, std::vector<uint32_t>> aliases_;  // a batch's runs arrive together: the last one found is checked first
  const std::string instance_ = uuidv7();
  std::unique_ptr<RecordReader> reader_;
  std::unique_ptr<TopicFollower> follower_;  // last: its thread calls apply()
};

// A batch id as the view indexes it: ingest writes UUIDs in lower case, and a UUID in any case is
// the same id. Anything else is returned as it is (it will simply not be found).
std::string canonicalBatchId(std::string id);

}  // namespace batchrun::ingest
