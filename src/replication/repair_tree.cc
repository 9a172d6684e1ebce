#include "replication/repair_tree.h"

namespace pairdb::replication {

Result<std::vector<HashedRecord>> hash_range(RepairStorage& storage, TableId table,
                                             const ring::TokenRange& range) {
  std::vector<HashedRecord> records;
  PAIRDB_TRY(storage.scan(
      table, range, [&](ring::Token token, std::string_view key, std::string_view record) {
        records.push_back(
            HashedRecord{token, merkle_entry_hash(key, stored_record_digest(record))});
        return Status::ok();
      }));
  return records;
}

MerkleTree tree_of(const ring::TokenRange& range, uint32_t depth,
                   const std::vector<HashedRecord>& records) {
  MerkleTree tree(range, depth);
  for (const HashedRecord& r : records) tree.add_hashed(r.token, r.entry_hash);
  tree.seal();
  return tree;
}

Status scan_leaves(RepairStorage& storage, TableId table, const ring::TokenRange& range,
                   uint32_t depth, const std::vector<uint32_t>& leaves,
                   const LeafRecordVisitor& visit) {
  for (uint32_t leaf : leaves) {
    if (merkle_leaf_empty(range, depth, leaf)) continue;
    PAIRDB_TRY(storage.scan(table, merkle_leaf_range(range, depth, leaf),
                            [&](ring::Token, std::string_view key, std::string_view record) {
                              return visit(leaf, key, record);
                            }));
  }
  return Status::ok();
}

}  // namespace pairdb::replication
