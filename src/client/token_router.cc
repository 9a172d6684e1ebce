#include "client/token_router.h"

#include <algorithm>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::client {

TokenRouter TokenRouter::build(const Topology& topology) {
  TokenRouter router;
  router.ring_version_ = topology.ring_version;
  for (const NodeInfo& node : topology.nodes) {
    if (node.state == "left" || node.address.empty()) continue;
    if (std::find(router.addresses_.begin(), router.addresses_.end(), node.address) !=
        router.addresses_.end()) {
      continue;
    }
    const auto index = static_cast<uint32_t>(router.addresses_.size());
    router.addresses_.push_back(node.address);
    router.dead_.push_back(node.liveness == "dead");
    for (uint64_t token : node.tokens) router.vnodes_.emplace_back(token, index);
  }
  std::sort(router.vnodes_.begin(), router.vnodes_.end());
  PAIRDB_ASSERT(router.dead_.size() == router.addresses_.size());
  return router;
}

uint64_t TokenRouter::token_of(std::string_view partition_key) { return hash64(partition_key); }

std::vector<std::string> TokenRouter::nodes_for(uint64_t token, size_t max_nodes) const {
  std::vector<uint32_t> order;
  std::vector<uint8_t> taken;
  order_for(token, &order, &taken);
  const size_t wanted = std::min(max_nodes, addresses_.size());
  std::vector<std::string> result;
  result.reserve(wanted);
  for (size_t i = 0; i < wanted; ++i) result.push_back(addresses_[order[i]]);
  return result;
}

void TokenRouter::order_for(uint64_t token, std::vector<uint32_t>* order,
                            std::vector<uint8_t>* taken) const {
  order->clear();
  taken->assign(addresses_.size(), 0);
  auto take = [&](uint32_t index) {
    if ((*taken)[index] != 0) return;
    (*taken)[index] = 1;
    order->push_back(index);
  };
  if (!vnodes_.empty()) {
    auto first =
        std::lower_bound(vnodes_.begin(), vnodes_.end(), std::pair<uint64_t, uint32_t>(token, 0));
    size_t position = static_cast<size_t>(first - vnodes_.begin()) % vnodes_.size();
    for (size_t step = 0; step < vnodes_.size() && order->size() < addresses_.size(); ++step) {
      take(vnodes_[(position + step) % vnodes_.size()].second);
    }
  }
  for (uint32_t index = 0; index < addresses_.size(); ++index) take(index);
  std::stable_partition(order->begin(), order->end(), [&](uint32_t i) { return !dead_[i]; });
  PAIRDB_ASSERT(order->size() == addresses_.size());
}

}  // namespace pairdb::client
