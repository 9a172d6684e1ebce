#include <pairdb/ring/hash_ring.h>

#include <algorithm>
#include <bitset>
#include <map>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::ring {

const NodeId& PreferenceList::operator[](size_t i) const {
  PAIRDB_ASSERT(i < size_);
  return ids_[i];
}

bool PreferenceList::contains(const NodeId& id) const {
  return std::find(begin(), end(), id) != end();
}

// Node indices chosen so far by one lookup; lives on the stack.
struct HashRing::Picked {
  std::array<NodeIndex, kPreferenceListMax> nodes;
  size_t size = 0;

  bool contains(NodeIndex n) const {
    return std::find(nodes.begin(), nodes.begin() + size, n) != nodes.begin() + size;
  }
  void add(NodeIndex n) {
    PAIRDB_ASSERT(size < nodes.size());
    PAIRDB_DASSERT(!contains(n));
    nodes[size++] = n;
  }
};

Result<std::shared_ptr<const HashRing>> HashRing::build(std::vector<NodeDescriptor> nodes) {
  if (nodes.size() > kRingNodesMax) {
    return Status::invalid_argument(
        fmt::format("ring: {} nodes > {}", nodes.size(), kRingNodesMax));
  }
  std::shared_ptr<HashRing> ring(new HashRing());
  ring->nodes_ = std::move(nodes);
  PAIRDB_TRY(ring->index_nodes());
  std::vector<std::pair<Token, NodeIndex>> vnodes;
  for (NodeIndex n = 0; n < ring->nodes_.size(); ++n) {
    const auto& tokens = ring->nodes_[n].tokens;
    if (tokens.empty() || tokens.size() > kTokensPerNodeMax) {
      return Status::invalid_argument(fmt::format("ring: node {} has {} tokens",
                                                  ring->nodes_[n].id.to_string(), tokens.size()));
    }
    for (Token t : tokens) vnodes.emplace_back(t, n);
  }
  std::sort(vnodes.begin(), vnodes.end());
  for (size_t i = 0; i < vnodes.size(); ++i) {
    if (i > 0 && vnodes[i].first == vnodes[i - 1].first) {
      return Status::invalid_argument(fmt::format("ring: token {} owned twice", vnodes[i].first));
    }
    ring->tokens_.push_back(vnodes[i].first);
    ring->owners_.push_back(vnodes[i].second);
  }
  PAIRDB_ASSERT(ring->tokens_.size() == ring->owners_.size());
  return std::shared_ptr<const HashRing>(std::move(ring));
}

// Fills index_, the DC and rack tables, and checks ids and limits.
Status HashRing::index_nodes() {
  std::map<std::pair<std::string, std::string>, uint16_t> rack_ids;
  for (NodeIndex n = 0; n < nodes_.size(); ++n) {
    const NodeDescriptor& node = nodes_[n];
    if (node.id.is_nil() || !index_.emplace(node.id, n).second) {
      return Status::invalid_argument(
          fmt::format("ring: nil or duplicate id {}", node.id.to_string()));
    }
    auto dc_it = std::find(dc_names_.begin(), dc_names_.end(), node.dc);
    if (dc_it == dc_names_.end()) {
      if (dc_names_.size() == kDatacentersMax) {
        return Status::invalid_argument(fmt::format("ring: more than {} DCs", kDatacentersMax));
      }
      dc_names_.push_back(node.dc);
      nodes_per_dc_.push_back(0);
      racks_per_dc_.push_back(0);
      dc_it = dc_names_.end() - 1;
    }
    const auto dc = static_cast<uint16_t>(dc_it - dc_names_.begin());
    node_dc_.push_back(dc);
    ++nodes_per_dc_[dc];
    auto [rack_it, inserted] =
        rack_ids.emplace(std::pair(node.dc, node.rack), static_cast<uint16_t>(rack_ids.size()));
    if (inserted) ++racks_per_dc_[dc];
    if (rack_ids.size() > kRacksMax) {
      return Status::invalid_argument(fmt::format("ring: more than {} racks", kRacksMax));
    }
    node_rack_.push_back(rack_it->second);
  }
  return Status::ok();
}

Token HashRing::token_of(std::string_view partition_key) { return hash64(partition_key); }

const NodeDescriptor* HashRing::find_node(const NodeId& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

size_t HashRing::first_vnode_at_or_after(Token t) const {
  PAIRDB_ASSERT(!tokens_.empty());
  const size_t i = std::lower_bound(tokens_.begin(), tokens_.end(), t) - tokens_.begin();
  return i == tokens_.size() ? 0 : i;
}

NodeId HashRing::primary(Token t) const { return nodes_[owners_[first_vnode_at_or_after(t)]].id; }

TokenRange HashRing::vnode_range(size_t i) const {
  const size_t prev = i == 0 ? tokens_.size() - 1 : i - 1;
  return TokenRange{tokens_[prev], tokens_[i]};
}

PreferenceList HashRing::preference_list(Token t, const ReplicationSpec& spec,
                                         size_t fallbacks) const {
  PAIRDB_ASSERT(spec.total_rf() <= kReplicationFactorMax);
  PAIRDB_ASSERT(fallbacks <= kFallbackReplicasMax);
  PreferenceList out;
  if (tokens_.empty()) return out;
  const size_t start = first_vnode_at_or_after(t);
  Picked picked;
  if (spec.simple_rf > 0) {
    pick_simple(start, spec.simple_rf, &picked);
  } else {
    pick_per_dc(start, spec, &picked);
  }
  out.natural_count_ = static_cast<uint8_t>(picked.size);
  if (fallbacks > 0) pick_fallbacks(start, spec, fallbacks, &picked);
  for (size_t i = 0; i < picked.size; ++i) out.ids_[i] = nodes_[picked.nodes[i]].id;
  out.size_ = static_cast<uint8_t>(picked.size);
  return out;
}

void HashRing::pick_simple(size_t start, uint32_t rf, Picked* picked) const {
  const size_t want = std::min<size_t>(rf, nodes_.size());
  for (size_t step = 0; step < tokens_.size() && picked->size < want; ++step) {
    const NodeIndex n = owners_[(start + step) % tokens_.size()];
    if (!picked->contains(n)) picked->add(n);
  }
}

// NetworkTopology-like placement: within each DC, walk clockwise taking nodes on racks not yet
// used in that DC until the DC has as many distinct racks as it can; then a second walk fills
// the remaining replicas of each DC with the next unpicked nodes, whatever their rack.
void HashRing::pick_per_dc(size_t start, const ReplicationSpec& spec, Picked* picked) const {
  std::array<uint32_t, kDatacentersMax> want{};  // Replicas still wanted, per ring DC index.
  std::array<uint32_t, kDatacentersMax> racks_left{};
  uint32_t total_wanted = 0;
  uint32_t total_racks = 0;
  for (const DcReplication& d : spec.per_dc) {
    auto it = std::find(dc_names_.begin(), dc_names_.end(), d.dc);
    if (it == dc_names_.end()) continue;  // No node in that DC: nothing to place there.
    const size_t dc = it - dc_names_.begin();
    want[dc] = std::min(d.rf, nodes_per_dc_[dc]);
    racks_left[dc] = std::min(want[dc], racks_per_dc_[dc]);
    total_wanted += want[dc];
    total_racks += racks_left[dc];
  }
  std::bitset<kRacksMax> rack_used;
  for (size_t step = 0; step < tokens_.size() && total_racks > 0; ++step) {
    const NodeIndex n = owners_[(start + step) % tokens_.size()];
    const uint16_t dc = node_dc_[n];
    if (racks_left[dc] == 0 || rack_used[node_rack_[n]]) continue;
    rack_used[node_rack_[n]] = true;
    picked->add(n);
    --racks_left[dc];
    --want[dc];
    --total_racks;
    --total_wanted;
  }
  for (size_t step = 0; step < tokens_.size() && total_wanted > 0; ++step) {
    const NodeIndex n = owners_[(start + step) % tokens_.size()];
    const uint16_t dc = node_dc_[n];
    if (want[dc] == 0 || picked->contains(n)) continue;
    picked->add(n);
    --want[dc];
    --total_wanted;
  }
  PAIRDB_DASSERT(total_wanted == 0);
}

void HashRing::pick_fallbacks(size_t start, const ReplicationSpec& spec, size_t fallbacks,
                              Picked* picked) const {
  std::bitset<kDatacentersMax> dc_allowed;
  size_t eligible = spec.simple_rf != 0 ? nodes_.size() : 0;
  for (const DcReplication& d : spec.per_dc) {
    auto it = std::find(dc_names_.begin(), dc_names_.end(), d.dc);
    if (it == dc_names_.end() || d.rf == 0 || dc_allowed[it - dc_names_.begin()]) continue;
    dc_allowed[it - dc_names_.begin()] = true;
    if (spec.simple_rf == 0) eligible += nodes_per_dc_[it - dc_names_.begin()];
  }
  // Stop once every eligible node is picked: on a small ring the walk would otherwise visit
  // every token looking for nodes that do not exist (a one-node cluster, on every write).
  const size_t limit = std::min(picked->size + fallbacks, std::max(eligible, picked->size));
  for (size_t step = 0; step < tokens_.size() && picked->size < limit; ++step) {
    const NodeIndex n = owners_[(start + step) % tokens_.size()];
    if (spec.simple_rf == 0 && !dc_allowed[node_dc_[n]]) continue;
    if (!picked->contains(n)) picked->add(n);
  }
}

std::vector<TokenRange> HashRing::ranges_replicated_by(const NodeId& id,
                                                       const ReplicationSpec& spec) const {
  std::vector<TokenRange> out;
  if (find_node(id) == nullptr) return out;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (!preference_list(tokens_[i], spec).contains(id)) continue;
    const TokenRange r = vnode_range(i);
    if (!out.empty() && out.back().end == r.start) {
      out.back().end = r.end;
    } else {
      out.push_back(r);
    }
  }
  // The last range may continue into the first one across the wrap.
  if (out.size() > 1 && out.back().end == out.front().start) {
    out.front().start = out.back().start;
    out.pop_back();
  }
  return out;
}

std::vector<ReplicatedRange> HashRing::replicated_ranges(const ReplicationSpec& spec) const {
  std::vector<ReplicatedRange> out;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const PreferenceList list = preference_list(tokens_[i], spec);
    std::vector<NodeId> replicas(list.begin(), list.begin() + list.natural_count());
    std::sort(replicas.begin(), replicas.end());
    const TokenRange r = vnode_range(i);
    if (!out.empty() && out.back().replicas == replicas) {
      out.back().range.end = r.end;
    } else {
      out.push_back(ReplicatedRange{r, std::move(replicas)});
    }
  }
  // The last range may continue into the first one across the wrap.
  if (out.size() > 1 && out.back().replicas == out.front().replicas) {
    out.front().range.start = out.back().range.start;
    out.pop_back();
  }
  return out;
}

std::vector<NodeOwnership> HashRing::ownership(const ReplicationSpec& spec) const {
  std::vector<NodeOwnership> out(nodes_.size());
  for (size_t n = 0; n < nodes_.size(); ++n) out[n].id = nodes_[n].id;
  double total = 0;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const double share = vnode_range(i).fraction();
    for (const NodeId& id : preference_list(tokens_[i], spec)) {
      out[index_.at(id)].fraction += share;
      total += share;
    }
  }
  if (total > 0) {
    for (NodeOwnership& o : out) o.fraction /= total;
  }
  return out;
}

std::vector<RangeMove> HashRing::pending_ranges(const HashRing& before, const HashRing& after,
                                                const ReplicationSpec& spec) {
  std::vector<Token> bounds = before.tokens_;
  bounds.insert(bounds.end(), after.tokens_.begin(), after.tokens_.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  std::vector<RangeMove> moves;
  if (before.tokens_.empty() || after.tokens_.empty()) return moves;  // Nobody to stream from.
  for (size_t i = 0; i < bounds.size(); ++i) {
    const Token end = bounds[i];
    const Token start = bounds[i == 0 ? bounds.size() - 1 : i - 1];
    const PreferenceList old_replicas = before.preference_list(end, spec);
    const PreferenceList new_replicas = after.preference_list(end, spec);
    std::array<NodeId, kPreferenceListMax> losing;
    size_t losing_count = 0;
    for (const NodeId& id : old_replicas) {
      if (!new_replicas.contains(id)) losing[losing_count++] = id;
    }
    size_t next_source = 0;
    for (const NodeId& id : new_replicas) {
      if (old_replicas.contains(id)) continue;
      const NodeId from = next_source < losing_count ? losing[next_source++] : old_replicas[0];
      RangeMove move{TokenRange{start, end}, from, id};
      if (!moves.empty() && moves.back().range.end == start && moves.back().from == from &&
          moves.back().to == id) {
        moves.back().range.end = end;
      } else {
        moves.push_back(move);
      }
    }
  }
  return moves;
}

}  // namespace pairdb::ring
