// Quorum: what a consistency level asks of one key's replicas, and whether a set of replicas
// (those alive, those that answered) meets it. Pure values and functions; safe on any thread.
//
// A rule counts acknowledgements two ways at once: `total` acks from any replicas, and, for
// each DC in `per_dc`, that many acks from replicas in that DC. ONE..ALL and QUORUM use total
// only (QUORUM = a majority of the sum of all DCs' factors); LOCAL_ONE and LOCAL_QUORUM one DC
// (the coordinator's); EACH_QUORUM a majority in every DC of the table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/replication/consistency.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

struct DcQuorum {
  std::string dc;
  uint32_t acks = 0;
  bool operator==(const DcQuorum&) const = default;
};

struct QuorumRule {
  Consistency level = Consistency::kQuorum;
  uint32_t total = 0;            // Acks from any replicas.
  std::vector<DcQuorum> per_dc;  // Acks within each DC.

  // What the rule needs, as reported in Unavailable and Timeout errors: the larger of total and
  // the sum over the DCs.
  uint32_t required() const;
  // Whether a level answers a read only after blocking read repair (every level but ONE and
  // LOCAL_ONE: the levels that promise a later quorum read cannot go back in time).
  bool blocks_on_repair() const;
  bool operator==(const QuorumRule&) const = default;
};

// The rule for `level` (not kDefault) under a table's replication, with `local_dc` the
// coordinator's DC. Status::invalid_argument when the replication cannot satisfy the level
// (THREE with two replicas; LOCAL_* in a DC that holds none of the table's replicas).
// A simple_rf spec has no DCs: every replica counts as local.
Result<QuorumRule> quorum_rule(Consistency level, const ring::ReplicationSpec& spec,
                               std::string_view local_dc);

// Whether replicas in these DCs (one entry per replica, counted once each) meet the rule.
bool quorum_met(const QuorumRule& rule, const std::vector<std::string_view>& dcs);

// How many of the replicas in `dcs` count toward the rule (for error messages: "alive").
uint32_t quorum_relevant(const QuorumRule& rule, const std::vector<std::string_view>& dcs);

// What replicas in `dcs` achieve toward the rule, in the units of required(): each DC counts at
// most the acks it needs, and all of them at most the rule's total. So the count never exceeds
// required(), and falls short of it exactly when quorum_met is false: the figure an Unavailable
// ("alive") or Timeout ("answered") error reports beside required().
QuorumCount quorum_count(const QuorumRule& rule, const std::vector<std::string_view>& dcs);

}  // namespace pairdb::replication
