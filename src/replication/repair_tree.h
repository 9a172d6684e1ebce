// Trees and leaves read from a RepairStorage: the scans both sides of a repair session run (the
// initiator in RepairSession, its peers in RepairResponder), so both hash records the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "replication/merkle_tree.h"
#include "replication/repair_storage.h"

namespace pairdb::replication {

// One record of a range, as a tree needs it.
struct HashedRecord {
  ring::Token token = 0;
  uint64_t entry_hash = 0;  // merkle_entry_hash(storage key, stored_record_digest(record)).
};

// Every record of `table` in `range`, in key order: one sequential scan.
Result<std::vector<HashedRecord>> hash_range(RepairStorage& storage, TableId table,
                                             const ring::TokenRange& range);

// The sealed tree of `records` at `depth`. REQUIRES: every token in range.
MerkleTree tree_of(const ring::TokenRange& range, uint32_t depth,
                   const std::vector<HashedRecord>& records);

// Visits every record stored in the given leaves of a tree of `depth` over `table`'s `range`,
// leaf by leaf in the order given. Leaves that hold no token are skipped.
// REQUIRES: every leaf < 2^depth.
using LeafRecordVisitor =
    std::function<Status(uint32_t leaf, std::string_view storage_key, std::string_view record)>;
Status scan_leaves(RepairStorage& storage, TableId table, const ring::TokenRange& range,
                   uint32_t depth, const std::vector<uint32_t>& leaves,
                   const LeafRecordVisitor& visit);

}  // namespace pairdb::replication
