// Shared by the gossip unit tests: node n's own state, named "node<n>" with id (0, n).
#pragma once

#include <cstdint>
#include <string>

#include "gossip/swim_core.h"

namespace pairdb::gossip::testing {

inline SelfConfig self_config(uint64_t n) {
  SelfConfig s;
  s.meta.id = NodeId::from_words(0, n);
  s.meta.meta_version = 1;
  s.gossip_addr = "node" + std::to_string(n);
  s.status = NodeStatus::kNormal;
  return s;
}

}  // namespace pairdb::gossip::testing
