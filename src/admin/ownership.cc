// Token-space ownership for pairdb-admin status and ring.
#include "admin/ownership.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace pairdb::admin {

std::unordered_map<std::string, double> primary_ownership(
    const std::vector<client::NodeInfo>& nodes) {
  std::unordered_map<std::string, double> owned;
  std::vector<std::pair<uint64_t, const std::string*>> ring;
  for (const auto& node : nodes) {
    owned[node.node_id] = 0.0;
    for (uint64_t token : node.tokens) ring.emplace_back(token, &node.node_id);
  }
  if (ring.empty()) return owned;
  std::sort(ring.begin(), ring.end());
  constexpr double kRingSize = 18446744073709551616.0;  // 2^64
  for (size_t i = 0; i < ring.size(); ++i) {
    // Unsigned subtraction wraps: the first token's range starts after the last token.
    const uint64_t previous = ring[(i + ring.size() - 1) % ring.size()].first;
    const uint64_t width = ring[i].first - previous;
    // A single vnode owns the whole ring (its width computes as 0); a duplicate token owns
    // nothing beyond the first copy.
    owned[*ring[i].second] += ring.size() == 1 ? 1.0 : static_cast<double>(width) / kRingSize;
  }
  return owned;
}

}  // namespace pairdb::admin
