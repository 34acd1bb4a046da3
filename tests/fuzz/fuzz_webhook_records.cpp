// The webhooks.retry / webhooks.dlq codec (common/src/records/webhook_records.cpp): deliveries,
// done markers, replays and dead letters, read by the webhook-sender.
#include "batchrun/common/records/webhook_records.hpp"
#include "fuzz_support.hpp"

using namespace batchrun;

namespace {

std::string encode(const WebhookRetryRecord& r) {
  switch (r.kind) {
    case WebhookRetryRecord::Kind::kDelivery: return encodeWebhookDelivery(r.delivery);
    case WebhookRetryRecord::Kind::kDead: return encodeWebhookDead(r.delivery);
    case WebhookRetryRecord::Kind::kDone: return encodeWebhookDone(r.done);
    case WebhookRetryRecord::Kind::kReplay: return encodeWebhookReplay(r.replay);
  }
  fuzz::fail("unknown kind", __FILE__, __LINE__);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::noThrow("decodeWebhookRecord", [&] {
    auto r = fuzz::checkRoundTrip(fuzz::text(data, size), decodeWebhookRecord, encode);
    if (r) FUZZ_CHECK(decodeWebhookRecord(encode(*r))->kind == r->kind);
  });
  return 0;
}
