// Ownership of the token space, computed from a topology: the fraction of the 64-bit ring each
// node is the first (primary) replica for. A node's vnode at token t owns the range
// (previous token, t], wrapping from the largest token to the smallest.
// Pure functions.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <pairdb/client/types.h>

namespace pairdb::admin {

// node_id -> fraction in [0, 1]; the fractions of nodes with tokens sum to 1. Nodes without
// tokens get 0. With no tokens at all every node gets 0.
std::unordered_map<std::string, double> primary_ownership(
    const std::vector<client::NodeInfo>& nodes);

}  // namespace pairdb::admin
