#include "replication/cluster_view.h"

#include <algorithm>

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"

namespace pairdb::replication {

namespace {

// A member owns ranges while it is (or is becoming un-) a normal member: joining nodes are not
// on the ring yet (they would stream first), and members that left are gone. Dead members stay:
// failure is not removal, and their ranges are served by fallbacks until they return.
bool on_ring(const ClusterMember& m) {
  if (!m.meta || m.meta->tokens.empty()) return false;
  if (m.liveness == gossip::Liveness::kLeft) return false;
  return m.status == gossip::NodeStatus::kNormal || m.status == gossip::NodeStatus::kLeaving;
}

}  // namespace

const ClusterMember* ClusterSnapshot::find(const ring::NodeId& id) const {
  auto it =
      std::lower_bound(members.begin(), members.end(), id,
                       [](const ClusterMember& m, const ring::NodeId& x) { return m.id < x; });
  return it != members.end() && it->id == id ? &*it : nullptr;
}

std::vector<ring::NodeDescriptor> ring_nodes(const std::vector<ClusterMember>& members) {
  std::vector<ring::NodeDescriptor> nodes;
  for (const ClusterMember& m : members) {
    if (!on_ring(m)) continue;
    nodes.push_back(ring::NodeDescriptor{m.id, m.meta->dc, m.meta->rack, m.meta->tokens});
  }
  std::sort(
      nodes.begin(), nodes.end(),
      [](const ring::NodeDescriptor& a, const ring::NodeDescriptor& b) { return a.id < b.id; });
  return nodes;
}

uint64_t ring_version_of(const std::vector<ring::NodeDescriptor>& nodes) {
  std::string bytes;
  for (const ring::NodeDescriptor& n : nodes) {
    bytes.append(reinterpret_cast<const char*>(n.id.bytes.data()), n.id.bytes.size());
    put_varint64(&bytes, n.dc.size());
    bytes += n.dc;
    put_varint64(&bytes, n.rack.size());
    bytes += n.rack;
    put_varint64(&bytes, n.tokens.size());
    for (ring::Token t : n.tokens) put_fixed64(&bytes, t);
  }
  const uint64_t version = hash64(bytes);
  return version == 0 ? 1 : version;
}

ClusterView::ClusterView(ClusterMember self) {
  PAIRDB_ASSERT(self.is_self);
  auto first = std::make_shared<ClusterSnapshot>();
  first->ring = ring::HashRing::build({}).value();
  first->ring_version = ring_version_of({});
  first->members.push_back(std::move(self));
  current_ = std::move(first);
  (void)publish(current_->members);  // Puts self on the ring when it already has tokens.
}

std::shared_ptr<const ClusterSnapshot> ClusterView::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

Status ClusterView::publish(std::vector<ClusterMember> members) {
  PAIRDB_ASSERT(std::count_if(members.begin(), members.end(),
                              [](const ClusterMember& m) { return m.is_self; }) == 1);
  std::sort(members.begin(), members.end(),
            [](const ClusterMember& a, const ClusterMember& b) { return a.id < b.id; });
  const std::shared_ptr<const ClusterSnapshot> previous = snapshot();
  auto next = std::make_shared<ClusterSnapshot>();
  next->members = std::move(members);
  next->ring = previous->ring;
  next->ring_version = previous->ring_version;
  Status built = Status::ok();
  std::vector<ring::NodeDescriptor> nodes = ring_nodes(next->members);
  const uint64_t version = ring_version_of(nodes);
  if (version != previous->ring_version) {
    auto ring = ring::HashRing::build(std::move(nodes));
    if (ring.is_ok()) {
      next->ring = std::move(ring).value();
      next->ring_version = version;
    } else {
      built = ring.status();
    }
  }
  PAIRDB_ASSERT(next->ring != nullptr);
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
  return built;
}

}  // namespace pairdb::replication
