#include "replication/quorum.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::replication {

namespace {

uint32_t majority(uint32_t n) { return n / 2 + 1; }

// The table's replication factor in `dc` (a simple spec counts everything as one local DC).
uint32_t rf_in(const ring::ReplicationSpec& spec, std::string_view dc) {
  if (spec.simple_rf > 0) return spec.simple_rf;
  for (const ring::DcReplication& d : spec.per_dc) {
    if (d.dc == dc) return d.rf;
  }
  return 0;
}

Status unsatisfiable(Consistency level, uint32_t needs, uint32_t has, std::string_view where) {
  return Status::invalid_argument(
      fmt::format("consistency {} needs {} replica(s) but the table has {}{}; lower the level or "
                  "raise the table's replication",
                  consistency_name(level), needs, has, where));
}

}  // namespace

uint32_t QuorumRule::required() const {
  uint32_t in_dcs = 0;
  for (const DcQuorum& d : per_dc) in_dcs += d.acks;
  return std::max(total, in_dcs);
}

bool QuorumRule::blocks_on_repair() const {
  return level != Consistency::kOne && level != Consistency::kLocalOne;
}

Result<QuorumRule> quorum_rule(Consistency level, const ring::ReplicationSpec& spec,
                               std::string_view local_dc) {
  PAIRDB_ASSERT(level != Consistency::kDefault);
  const uint32_t n = spec.total_rf();
  QuorumRule rule;
  rule.level = level;
  const bool local = level == Consistency::kLocalOne || level == Consistency::kLocalQuorum;
  if (local) {
    const uint32_t here = rf_in(spec, local_dc);
    const uint32_t needs = level == Consistency::kLocalOne ? 1 : majority(here);
    if (here == 0) return unsatisfiable(level, needs, 0, fmt::format(" in DC '{}'", local_dc));
    if (spec.simple_rf > 0) {
      rule.total = needs;
    } else {
      rule.per_dc.push_back({std::string(local_dc), needs});
    }
    return rule;
  }
  if (level == Consistency::kEachQuorum) {
    if (spec.simple_rf > 0) {
      rule.total = majority(n);
      return rule;
    }
    for (const ring::DcReplication& d : spec.per_dc) rule.per_dc.push_back({d.dc, majority(d.rf)});
    return rule;
  }
  rule.total = required_replicas(level, n);
  if (rule.total > n) return unsatisfiable(level, rule.total, n, "");
  return rule;
}

bool quorum_met(const QuorumRule& rule, const std::vector<std::string_view>& dcs) {
  if (dcs.size() < rule.total) return false;
  for (const DcQuorum& need : rule.per_dc) {
    const auto have = static_cast<uint32_t>(std::count(dcs.begin(), dcs.end(), need.dc));
    if (have < need.acks) return false;
  }
  return true;
}

uint32_t quorum_relevant(const QuorumRule& rule, const std::vector<std::string_view>& dcs) {
  if (rule.per_dc.empty()) return static_cast<uint32_t>(dcs.size());
  uint32_t n = 0;
  for (std::string_view dc : dcs) {
    const bool counted = std::any_of(rule.per_dc.begin(), rule.per_dc.end(),
                                     [&](const DcQuorum& d) { return d.dc == dc; });
    n += counted ? 1 : 0;
  }
  return n;
}

QuorumCount quorum_count(const QuorumRule& rule, const std::vector<std::string_view>& dcs) {
  const auto any = std::min(static_cast<uint32_t>(dcs.size()), rule.total);
  uint32_t within_dcs = 0;
  for (const DcQuorum& need : rule.per_dc) {
    const auto have = static_cast<uint32_t>(std::count(dcs.begin(), dcs.end(), need.dc));
    within_dcs += std::min(have, need.acks);
  }
  uint32_t achieved = any;
  if (!rule.per_dc.empty()) achieved = rule.total == 0 ? within_dcs : std::min(any, within_dcs);
  return {rule.required(), std::min(achieved, rule.required())};
}

}  // namespace pairdb::replication
