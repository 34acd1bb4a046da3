#pragma once
// Graceful shutdown: block SIGINT/SIGTERM in every thread (call first in main, before any thread
// starts), then wait for one on the main thread and drain.
namespace batchrun {

void blockShutdownSignals();
// Returns the signal number received.
int waitForShutdownSignal();

}  // namespace batchrun
