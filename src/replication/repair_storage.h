// RepairStorage: what anti-entropy needs of a replica's store, so that its sans-IO cores
// (RepairSession, RepairResponder) run on the real LSM in the daemon and in tests/sim alike.
// ReplicaRepairStorage is the implementation over the node's LSM and ReplicaStore.
//
// A stored record's digest is the hash of its stored bytes; the store only ever writes the
// canonical encoding, so this is record_digest of the decoded record (computed without decoding).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pairdb/lsm/db.h>
#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "replication/replica_store.h"

namespace pairdb::replication {

uint64_t stored_record_digest(std::string_view record_bytes);
uint64_t storage_key_hash(std::string_view storage_key);

// The LSM key spans [begin, end) holding exactly the keys of `table` with a token in `range`:
// one span, or two when the range wraps past the largest token.
std::vector<std::pair<std::string, std::string>> repair_key_spans(TableId table,
                                                                  const ring::TokenRange& range);

// Called per record in key order; a non-OK status stops the scan and is returned.
using RepairRecordVisitor =
    std::function<Status(ring::Token token, std::string_view storage_key, std::string_view record)>;

class RepairStorage {
 public:
  virtual ~RepairStorage() = default;
  // Every record of `table` whose token lies in `range`.
  virtual Status scan(TableId table, const ring::TokenRange& range,
                      const RepairRecordVisitor& visit) = 0;
  // The stored bytes of one record; nullopt when absent.
  virtual Result<std::optional<std::string>> read(std::string_view storage_key) = 0;
  // Joins a peer's record (encoded) into the stored one; true when that changed what is stored.
  // Status::corruption for a key or record that does not decode or validate.
  virtual Result<bool> merge(std::string_view storage_key, std::string_view record,
                             ConflictMode mode) = 0;
  // Makes every merge so far durable (whatever the WAL sync mode).
  virtual Status sync() = 0;
};

// Thread-safe as its parts are. REQUIRES: db and store outlive it.
class ReplicaRepairStorage final : public RepairStorage {
 public:
  ReplicaRepairStorage(lsm::DB* db, ReplicaStore* store) : db_(db), store_(store) {}

  Status scan(TableId table, const ring::TokenRange& range,
              const RepairRecordVisitor& visit) override;
  Result<std::optional<std::string>> read(std::string_view storage_key) override;
  Result<bool> merge(std::string_view storage_key, std::string_view record,
                     ConflictMode mode) override;
  // A synced write of a fixed system key: the WAL is synced in order, so everything before it is
  // durable once it is.
  Status sync() override;

 private:
  lsm::DB* const db_;
  ReplicaStore* const store_;
};

}  // namespace pairdb::replication
