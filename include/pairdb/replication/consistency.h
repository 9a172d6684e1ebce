// Consistency levels a request may ask for, and how many replica answers each one needs.
// Plain values; the wire enums (client.fbs) and the HTTP `consistency` parameter map onto them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pairdb::replication {

enum class Consistency : uint8_t {
  kDefault = 0,  // The table's configured default for reads or writes.
  kOne,
  kTwo,
  kThree,
  kQuorum,
  kAll,
  kLocalOne,
  kLocalQuorum,
  kEachQuorum,
};

// When a read that found replicas disagreeing writes the merge back to the stale ones (a table
// option). kBlocking: before answering, at every level but ONE and LOCAL_ONE, so a later quorum
// read cannot go back in time; kAsync: after answering; kOff: never.
enum class ReadRepair : uint8_t { kBlocking = 0, kAsync = 1, kOff = 2 };

// "ONE", "LOCAL_QUORUM", ... ("DEFAULT" for kDefault).
std::string_view consistency_name(Consistency level);
// Accepts the names above in any letter case; nullopt for anything else.
std::optional<Consistency> parse_consistency(std::string_view text);

// Replica answers a level needs out of `replicas` (the table's total replication factor).
// Local and each-quorum levels count only the local DC; with one DC they equal their global
// forms. REQUIRES: level != kDefault (resolve it against the table first).
uint32_t required_replicas(Consistency level, uint32_t replicas);

}  // namespace pairdb::replication
