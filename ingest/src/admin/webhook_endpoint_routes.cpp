#include "batchrun/ingest/admin/webhook_endpoint_routes.hpp"

#include <algorithm>

#include "batchrun/common/http/destination_url.hpp"
#include "batchrun/common/ids.hpp"
#include "batchrun/common/json.hpp"
#include "batchrun/common/logging.hpp"
#include "batchrun/common/records/webhook_records.hpp"
#include "batchrun/ingest/http/http_reply.hpp"
#include "batchrun/ingest/admin/webhook_endpoint_request.hpp"

namespace batchrun::ingest {

using Pistache::Http::Code;
namespace Routes = Pistache::Rest::Routes;

void loadWebhookEndpointsConfig(EnvReader& env, WebhookEndpointsConfig& out) {
  env.boolean("BATCHRUN_WEBHOOK_ALLOW_HTTP", out.allow_plain_http);
  env.boolean("BATCHRUN_ALLOW_PRIVATE_DESTINATIONS", out.allow_private);
  env.boolean("BATCHRUN_ALLOW_METADATA_DESTINATIONS", out.allow_metadata);
  env.integer("BATCHRUN_WEBHOOK_ROTATION_GRACE_SECONDS", out.rotation_grace_seconds, 0, 30 * 86400);
  env.integer("BATCHRUN_WEBHOOK_MAX_ENDPOINTS_PER_PROJECT", out.max_endpoints_per_project, 1, 100000);
}

Result<std::unique_ptr<WebhookEndpointRoutes>> WebhookEndpointRoutes::start(WebhookEndpointsConfig config,
                                                                            const KafkaSettings& kafka,
                                                                            const ApiKeys& keys, Producer& producer,
                                                                            Clock& clock,
                                                                            std::shared_ptr<FollowerHub> hub,
                                                                            PoisonRecords* poison) {
  std::unique_ptr<WebhookEndpointRoutes> self(
      new WebhookEndpointRoutes(std::move(config), Topics(kafka), keys, producer, clock));
  auto follower = TopicFollower::start(kafka, {self->topics_.endpoints},
                                       guardRecords(poison, [view = &self->view_](const Message& m) { return view->applyOrWhy(m); }), 15000,
                                       std::move(hub));
  if (!follower) return follower.error();
  self->follower_ = std::move(*follower);
  return self;
}

WebhookEndpointRoutes::WebhookEndpointRoutes(WebhookEndpointsConfig config, Topics topics, const ApiKeys& keys,
                                             Producer& producer, Clock& clock)
    : config_(std::move(config)), topics_(std::move(topics)), keys_(keys), producer_(producer), clock_(clock) {}

void WebhookEndpointRoutes::addRoutes(Pistache::Rest::Router& r) {
  Routes::Post(r, "/v1/webhook-endpoints", Routes::bind(&WebhookEndpointRoutes::create, this));
  Routes::Get(r, "/v1/webhook-endpoints", Routes::bind(&WebhookEndpointRoutes::list, this));
  Routes::Get(r, "/v1/webhook-endpoints/:id", Routes::bind(&WebhookEndpointRoutes::get, this));
  Routes::Delete(r, "/v1/webhook-endpoints/:id", Routes::bind(&WebhookEndpointRoutes::remove, this));
  Routes::Post(r, "/v1/webhook-endpoints/:id/rotate-secret", Routes::bind(&WebhookEndpointRoutes::rotate, this));
  Routes::Post(r, "/v1/webhook-endpoints/:id/replay", Routes::bind(&WebhookEndpointRoutes::replay, this));
  Routes::Post(r, "/v1/webhook-endpoints/:id/enable", Routes::bind(&WebhookEndpointRoutes::enable, this));
  Routes::Post(r, "/v1/webhook-endpoints/:id/disable", Routes::bind(&WebhookEndpointRoutes::disable, this));
}

std::string WebhookEndpointRoutes::readiness() const {
  return follower_ && follower_->caughtUp() ? std::string() : "webhook endpoints view not caught up";
}

namespace {

bool authorized(const ApiKeys& keys, const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& rw,
                std::string& project) {
  auto p = authenticate(keys, req);
  if (!p) {
    replyError(rw, Code::Unauthorized, "unauthorized", "a valid API key is required (Authorization: Bearer <key>)");
    return false;
  }
  project = std::move(*p);
  return true;
}

bool jsonBody(const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& rw) {
  auto ct = req.headers().tryGetRaw("Content-Type");
  if (ct && ct->value().find("json") == std::string::npos) {
    replyError(rw, Code::Unsupported_Media_Type, "unsupported_media_type", "the body must be application/json");
    return false;
  }
  return true;
}

}  // namespace

Status WebhookEndpointRoutes::write(OutMessage msg) {
  auto report = producer_.produceSync(std::move(msg));
  if (!report) return report.error();
  if (!report->ok) return Error::unavailable("kafka: " + report->error);
  return {};
}

EndpointPtr WebhookEndpointRoutes::owned(const Req& req, Rw& rw, std::string* project) {
  if (!authorized(keys_, req, rw, *project)) return nullptr;
  auto id = req.param(":id").as<std::string>();
  auto e = view_.get(id);
  // A miss may be an endpoint another instance created a moment ago that this view has not read
  // yet: bring the view up to the topic's end as of now before answering 404 (hits never wait).
  if (!e || e->project != *project) {
    if (!follower_->syncWait(config_.catch_up_ms)) {
      replyError(rw, Code::Service_Unavailable, "unavailable", "the webhook endpoints view is behind Kafka; retry", {},
                 1);
      return nullptr;
    }
    e = view_.get(id);
  }
  if (!e || e->project != *project) {
    // Another project's endpoint is indistinguishable from a missing one.
    replyError(rw, Code::Not_Found, "not_found", "no webhook endpoint " + id);
    return nullptr;
  }
  return e;
}

void WebhookEndpointRoutes::create(const Req& req, Rw rw) {
  std::string project;
  if (!authorized(keys_, req, rw, project) || !jsonBody(req, rw)) return;
  CreateEndpointRequest body;
  std::vector<FieldError> errors;
  if (parseCreateEndpoint(req.body(), body, errors)) {
    auto ok = checkDestinationUrl(body.url, {config_.allow_plain_http, config_.allow_private, config_.allow_metadata});
    if (!ok) errors.push_back({-1, "url", ok.error().message});
  }
  if (!errors.empty()) return replyError(rw, Code::Bad_Request, "invalid_request", "invalid webhook endpoint", errors);
  if (static_cast<int>(view_.forProject(project).size()) >= config_.max_endpoints_per_project) {
    return replyError(rw, Code::Conflict, "limit_reached", "the project has the maximum number of webhook endpoints");
  }
  WebhookEndpoint e;
  e.id = newEndpointId();
  e.project = project;
  e.url = std::move(body.url);
  e.event_types = std::move(body.event_types);
  e.description = std::move(body.description);
  e.rate_limit_per_second = body.rate_limit_per_second;
  e.dialect = std::move(body.dialect);
  e.created_at = e.updated_at = clock_.nowMs();
  std::string secret = newWebhookSecret();
  e.secrets.push_back({secret, 0});
  if (auto st = write({topics_.endpoints, e.id, encodeEndpoint(e), {}}); !st) return replyFor(rw, st.error());
  log::info("webhook endpoint created", {{"endpoint_id", e.id}, {"project", project}});
  std::string reply = endpointPublicJson(e, secret);
  view_.upsert(std::move(e));
  replyJson(rw, Code::Created, reply);
}

void WebhookEndpointRoutes::list(const Req& req, Rw rw) {
  std::string project;
  if (!authorized(keys_, req, rw, project)) return;
  auto all = view_.forProject(project);
  std::string out = "{\"data\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    if (i) out += ',';
    out += endpointPublicJson(*all[i]);
  }
  out += "]}";
  replyJson(rw, Code::Ok, out);
}

void WebhookEndpointRoutes::get(const Req& req, Rw rw) {
  std::string project;
  if (auto e = owned(req, rw, &project)) replyJson(rw, Code::Ok, endpointPublicJson(*e));
}

void WebhookEndpointRoutes::remove(const Req& req, Rw rw) {
  std::string project;
  auto e = owned(req, rw, &project);
  if (!e) return;
  if (auto st = write({topics_.endpoints, e->id, std::string(), {}}); !st) return replyFor(rw, st.error());
  view_.erase(e->id);
  log::info("webhook endpoint deleted", {{"endpoint_id", e->id}, {"project", project}});
  rw.headers().add<Pistache::Http::Header::Connection>(Pistache::Http::ConnectionControl::KeepAlive);
  rw.send(Code::No_Content);
}

void WebhookEndpointRoutes::rotate(const Req& req, Rw rw) {
  std::string project;
  auto e = owned(req, rw, &project);
  if (!e) return;
  WebhookEndpoint next = *e;
  std::string secret = rotateSecret(next, clock_.nowMs(), config_.rotation_grace_seconds * 1000);
  if (auto st = write({topics_.endpoints, next.id, encodeEndpoint(next), {}}); !st) return replyFor(rw, st.error());
  log::info("webhook secret rotated", {{"endpoint_id", next.id}, {"project", project}});
  std::string reply = endpointPublicJson(next, secret);
  view_.upsert(std::move(next));
  replyJson(rw, Code::Ok, reply);
}

void WebhookEndpointRoutes::replay(const Req& req, Rw rw) {
  std::string project;
  auto e = owned(req, rw, &project);
  if (!e || !jsonBody(req, rw)) return;
  ReplayRequest body;
  std::vector<FieldError> errors;
  if (!parseReplay(req.body(), body, errors)) {
    return replyError(rw, Code::Bad_Request, "invalid_request", "invalid replay request", errors);
  }
  WebhookReplay r;
  r.replay_id = "rpl_" + uuidv7();
  r.endpoint_id = e->id;
  r.project = project;
  r.requested_at = clock_.nowMs();
  r.since = body.since;
  r.until = body.until ? body.until : r.requested_at;
  // Keyed by endpoint id: the replay lands in the partition of that endpoint's retries.
  if (auto st = write({topics_.webhook_retry, e->id, encodeWebhookReplay(r), {}}); !st) return replyFor(rw, st.error());
  log::info("webhook replay requested", {{"endpoint_id", e->id}, {"replay_id", r.replay_id}});
  std::string out = "{";
  json::appendKey(out, "replay_id");
  json::appendString(out, r.replay_id);
  out += ',';
  json::appendKey(out, "endpoint_id");
  json::appendString(out, r.endpoint_id);
  out += ',';
  json::appendKey(out, "since");
  json::appendString(out, formatRfc3339(r.since));
  out += ',';
  json::appendKey(out, "until");
  json::appendString(out, formatRfc3339(r.until));
  out += '}';
  replyJson(rw, Code::Accepted, out);
}

// Both calls always write, even when the view already shows the state asked for: this instance's
// view may lag a disable the sender just wrote, and an enable that did nothing would leave the
// endpoint disabled while answering that it is not.
void WebhookEndpointRoutes::enable(const Req& req, Rw rw) {
  std::string project;
  auto e = owned(req, rw, &project);
  if (!e || (!blankBody(req.body()) && !jsonBody(req, rw))) return;
  std::vector<FieldError> errors;
  if (!parseEnableEndpoint(req.body(), errors)) {
    return replyError(rw, Code::Bad_Request, "invalid_request", "invalid enable request", errors);
  }
  WebhookEndpoint next = *e;
  enableEndpoint(next, clock_.nowMs());
  writeState(next, project, rw);
}

void WebhookEndpointRoutes::disable(const Req& req, Rw rw) {
  std::string project;
  auto e = owned(req, rw, &project);
  if (!e || (!blankBody(req.body()) && !jsonBody(req, rw))) return;
  DisableEndpointRequest body;
  std::vector<FieldError> errors;
  if (!parseDisableEndpoint(req.body(), body, errors)) {
    return replyError(rw, Code::Bad_Request, "invalid_request", "invalid disable request", errors);
  }
  WebhookEndpoint next = *e;
  disableEndpoint(next, std::move(body.reason), clock_.nowMs());
  writeState(next, project, rw);
}

void WebhookEndpointRoutes::writeState(const WebhookEndpoint& next, const std::string& project, Rw& rw) {
  if (auto st = write({topics_.endpoints, next.id, encodeEndpoint(next), {}}); !st) return replyFor(rw, st.error());
  log::info(next.disabled ? "webhook endpoint disabled" : "webhook endpoint enabled",
            {{"endpoint_id", next.id}, {"project", project}});
  std::string reply = endpointPublicJson(next);
  view_.upsert(next);
  replyJson(rw, Code::Ok, reply);
}

}  // namespace batchrun::ingest
