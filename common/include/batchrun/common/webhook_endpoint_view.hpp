#pragma once
// An in-process view of the `webhooks.endpoints` topic: endpoint id → latest record, indexed by
// project. Fed by a TopicFollower (apply) and, for read-your-writes on the instance that wrote a
// change, by the writer itself (upsert/erase). Records are immutable snapshots shared by pointer,
// so readers on hot paths copy no strings. Thread-safe (readers share a lock).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "batchrun/common/kafka/message.hpp"
#include "batchrun/common/records/webhook_endpoint.hpp"

namespace batchrun {

using EndpointPtr = std::shared_ptr<const WebhookEndpoint>;

class EndpointView {
 public:
  // One record of the endpoints topic; a tombstone (null value) deletes. Undecodable records are
  // skipped (returns false) so one bad record cannot stop the view.
  bool apply(const Message& m);
  // apply() without its log line: empty when applied, else why not (for PoisonRecords::guard).
  std::string applyOrWhy(const Message& m);
  // Keeps the newer of the held and the given record (by updated_at), so a lagging follower
  // cannot undo a change this instance just wrote.
  void upsert(WebhookEndpoint e);
  // Ids are never reused, so a deleted id stays deleted even if an older record arrives later.
  void erase(const std::string& id);

  EndpointPtr get(const std::string& id) const;
  std::vector<EndpointPtr> forProject(const std::string& project) const;
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, EndpointPtr> by_id_;
  std::map<std::string, std::map<std::string, EndpointPtr>> by_project_;  // project → id → record
  std::set<std::string> deleted_;
};

}  // namespace batchrun
