#pragma once
// The webhook subscription API, served by ingest:
//   POST   /v1/webhook-endpoints                    create → 201 with the secret (shown once)
//   GET    /v1/webhook-endpoints                    list the caller's project's endpoints (no secrets)
//   GET    /v1/webhook-endpoints/{id}               one endpoint (no secrets)
//   DELETE /v1/webhook-endpoints/{id}               tombstone → 204
//   POST   /v1/webhook-endpoints/{id}/rotate-secret new secret; the old one signs beside it for a grace period
//   POST   /v1/webhook-endpoints/{id}/replay        {since, until?} → 202; a replay record the sender acts on
//   POST   /v1/webhook-endpoints/{id}/enable        deliveries resume, failure clock restarted → 200 endpoint
//   POST   /v1/webhook-endpoints/{id}/disable       {reason?} an operator's pause → 200 endpoint
// Writes go to the compacted webhooks.endpoints topic (replays to webhooks.retry) and are answered
// after Kafka acknowledges them. Reads come from an in-process view that a TopicFollower keeps up
// to date; this instance's own writes are applied to it at once (read-your-writes). Every call is
// scoped to the caller's project: another project's endpoint is a 404. Thread-safe.
#include <pistache/router.h>

#include <cstdint>
#include <memory>
#include <string>

#include "batchrun/common/clock.hpp"
#include "batchrun/common/kafka/poison.hpp"
#include "batchrun/common/kafka/producer.hpp"
#include "batchrun/common/kafka/settings.hpp"
#include "batchrun/common/kafka/topic_follower.hpp"
#include "batchrun/common/webhook_endpoint_view.hpp"
#include "batchrun/ingest/http/auth.hpp"
#include "batchrun/ingest/config/webhook_endpoints_config.hpp"

namespace batchrun::ingest {

class WebhookEndpointRoutes {
 public:
  // Starts following webhooks.endpoints. `keys` and `producer` must outlive this object.
  static Result<std::unique_ptr<WebhookEndpointRoutes>> start(WebhookEndpointsConfig config,
                                                              const KafkaSettings& kafka, const ApiKeys& keys,
                                                              Producer& producer, Clock& clock = SystemClock::instance(),
                                                              std::shared_ptr<FollowerHub> hub = nullptr,
                                                              PoisonRecords* poison = nullptr);
  void addRoutes(Pistache::Rest::Router& router);
  // Empty when the view has read the endpoints topic to its end (for /readyz).
  std::string readiness() const;
  EndpointView& view() { return view_; }

 private:
  WebhookEndpointRoutes(WebhookEndpointsConfig config, Topics topics, const ApiKeys& keys, Producer& producer,
                        Clock& clock);
  using Req = Pistache::Rest::Request;
  using Rw = Pistache::Http::ResponseWriter;
  void create(const Req& req, Rw rw);
  void list(const Req& req, Rw rw);
  void get(const Req& req, Rw rw);
  void remove(const Req& req, Rw rw);
  void rotate(const Req& req, Rw rw);
  void replay(const Req& req, Rw rw);
  void enable(const Req& req, Rw rw);
  void disable(const Req& req, Rw rw);
  // Answers the endpoint as it is once the new state is in Kafka.
  void writeState(const WebhookEndpoint& next, const std::string& project, Rw& rw);
  // The caller's endpoint named in the path, or a reply already sent (nullptr).
  EndpointPtr owned(const Req& req, Rw& rw, std::string* project);
  Status write(OutMessage msg);

  WebhookEndpointsConfig config_;
  Topics topics_;
  const ApiKeys& keys_;
  Producer& producer_;
  Clock& clock_;
  EndpointView view_;
  std::unique_ptr<TopicFollower> follower_;  // last: its thread writes view_
};

}  // namespace batchrun::ingest
