// TokenRouter: which nodes should serve a partition key, from one topology snapshot.
// token = XXH3-64(partition key, seed 0), the placement the server uses (HashRing::token_of).
// The primary owner of a token is the owner of the first ring token clockwise at or after it,
// wrapping past the largest token to the smallest.
//
// Immutable after build(); safe for concurrent readers.
// Invariants: vnodes_ is sorted by token; every vnode's node index < addresses_.size();
// addresses_ holds no duplicates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pairdb/client/types.h>

namespace pairdb::client {

class TokenRouter {
 public:
  TokenRouter() = default;  // No nodes: every lookup is empty.

  // Keeps every node whose state is not "left" and whose address is set; a node listed twice
  // keeps its first entry. Nodes without tokens are reachable but own no keys.
  static TokenRouter build(const Topology& topology);

  static uint64_t token_of(std::string_view partition_key);

  // Up to max_nodes distinct node addresses in the order a request for `token` should try them:
  // the primary owner, then the owners of the following ring positions clockwise, then nodes
  // that own no token. Nodes the topology reports "dead" go after the others.
  std::vector<std::string> nodes_for(uint64_t token, size_t max_nodes) const;
  // The same order for every node, as indexes into addresses(), into `order`; `taken` is
  // scratch. Both are the caller's, reused from call to call (the SDK's per-request path).
  void order_for(uint64_t token, std::vector<uint32_t>* order, std::vector<uint8_t>* taken) const;

  // Every routable node, in topology order.
  const std::vector<std::string>& addresses() const { return addresses_; }
  uint64_t ring_version() const { return ring_version_; }
  bool empty() const { return addresses_.empty(); }

 private:
  std::vector<std::pair<uint64_t, uint32_t>> vnodes_;  // (token, index into addresses_).
  std::vector<std::string> addresses_;
  std::vector<bool> dead_;  // Parallel to addresses_.
  uint64_t ring_version_ = 0;
};

}  // namespace pairdb::client
