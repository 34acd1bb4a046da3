#pragma once
// One endpoint's continuous-failure clock, as the Deliverer's gate keeps it: it runs from the first
// failed attempt after the last success, and the Deliverer disables the endpoint once it has run for
// BATCHRUN_WEBHOOK_DISABLE_AFTER_SECONDS. Retry records carry it, so it survives restarts and moves
// between sender instances with the endpoint's retries.
//
// Re-enabling an endpoint (its record's enabled_at) starts the clock afresh: failures from before
// enabled_at — held here, or carried by retry records written before it — no longer count, or an
// endpoint just re-enabled would be disabled again at its first failure. Not thread-safe: the gate's
// lock guards it.
#include <cstdint>

namespace batchrun::webhook {

class FailureClock {
 public:
  // Adopts the endpoint's enabled_at (0: never re-enabled). True when it is newer than the one held:
  // the clock was restarted, and the caller forgets the rest of its failure state too.
  bool observeEnabledAt(int64_t enabled_at);
  // A failing-since carried by a retry record (0: none). The earliest counts, unless it is from
  // before the endpoint was enabled.
  void carry(int64_t failing_since);
  // A failed attempt at now_ms: starts the clock if it is not running. Returns since when the
  // endpoint has been failing. Never earlier than enabled_at, even if this clock is behind the
  // clock of the ingest that enabled it (so a restart cannot be undone by clock skew).
  int64_t fail(int64_t now_ms);
  void succeed() { since_ = 0; }
  // 0 when not failing.
  int64_t since() const { return since_; }

 private:
  int64_t since_ = 0;
  int64_t enabled_at_ = 0;
};

}  // namespace batchrun::webhook
