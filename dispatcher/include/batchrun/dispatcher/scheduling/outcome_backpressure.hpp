#pragma once
// Bounds the work a dispatcher crash can make us do again. An attempt's outcome (its terminal or
// `retrying` runs.state record) is lost with the process until Kafka acknowledges it, and the next
// owner then executes that attempt again. So while `cap` outcome records wait for their
// acknowledgement, no new attempt starts: after a crash the runs executed again are at most the
// calls in flight plus these outcomes (docs/operations.md states the exact bound).
// Not thread-safe: the dispatch loop owns it (delivery reports reach it through the loop's inbox).
#include <cstdint>

namespace batchrun::dispatcher {

class OutcomeBackpressure {
 public:
  explicit OutcomeBackpressure(int cap) : cap_(cap < 1 ? 1 : cap) {}

  // An outcome record was produced. True when this one closed the gate (a new pause begins).
  bool produced() { return ++unacked_ == cap_; }
  // Kafka acknowledged one, or it was given up (its partition went to another owner).
  void settled() {
    if (unacked_ > 0) --unacked_;
  }
  // True while no new attempt may start.
  bool paused() const { return unacked_ >= cap_; }
  int unacked() const { return unacked_; }
  int cap() const { return cap_; }

 private:
  int cap_;
  int unacked_ = 0;
};

}  // namespace batchrun::dispatcher
