// BenchReplica: one replica of the anti-entropy benchmark, the real storage side of a node: an
// LSM database in its own directory (PosixEnv, WAL without per-write sync), the ReplicaStore
// over it, the ReplicaRepairStorage that repair sessions read and write through, and the
// RepairResponder that answers a session's requests when this replica is the peer.
// Also the loader that fills two replicas from a RepairDataset and the checker that compares
// them afterwards.
//
// Single-threaded use (the benchmark's main thread); the engine runs its own background threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include <pairdb/lsm/db.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "repair_bench/dataset.h"
#include "replication/repair_responder.h"
#include "replication/repair_storage.h"
#include "replication/replica_store.h"

namespace pairdb::bench {

class BenchReplica {
 public:
  // Creates a fresh database in `dir` (which must not hold one). `table` is the one table this
  // replica knows, in kSiblings mode.
  static Result<std::unique_ptr<BenchReplica>> create(const std::string& dir, ring::NodeId id,
                                                      replication::TableId table);
  ~BenchReplica();
  BenchReplica(const BenchReplica&) = delete;
  BenchReplica& operator=(const BenchReplica&) = delete;

  const ring::NodeId& id() const { return id_; }
  lsm::DB* db() const { return db_.get(); }
  replication::RepairStorage* storage() const { return storage_.get(); }
  replication::RepairResponder* responder() const { return responder_.get(); }
  uint64_t repair_notices() const { return listener_.notices; }

  // Flushes the memtable and compacts everything into the last level: the data is in
  // SSTables and background work is idle before measuring.
  Status settle();
  Status close();

 private:
  struct Listener final : replication::RepairListener {
    Status on_repair_done(const replication::RepairDoneRequest&) override {
      ++notices;
      return Status::ok();
    }
    uint64_t notices = 0;
  };

  BenchReplica() = default;

  ring::NodeId id_;
  std::unique_ptr<lsm::DB> db_;
  std::unique_ptr<replication::ReplicaStore> store_;
  std::unique_ptr<replication::ReplicaRepairStorage> storage_;
  Listener listener_;
  std::unique_ptr<replication::RepairResponder> responder_;
};

// What was loaded into the two replicas.
struct LoadSummary {
  uint64_t initiator_records = 0;
  uint64_t peer_records = 0;
  uint64_t peer_bytes = 0;  // Key + record bytes the peer holds (every key of the data set).
  std::array<uint64_t, kDivergenceKinds> keys_by_kind{};  // Indexed by Divergence.
  uint64_t divergent_keys = 0;
  uint64_t divergent_bytes =
      0;  // Key + record bytes of the divergent keys, as the peer holds them.
};

// Writes every key of `data` into both replicas (write batches), then settles both.
Result<LoadSummary> load_replicas(const RepairDataset& data, BenchReplica& initiator,
                                  BenchReplica& peer);

// What the checker found.
struct VerifySummary {
  uint64_t records = 0;     // Records of the table compared (pairs).
  uint64_t mismatches = 0;  // Keys where the replicas differ or miss the expected join.
  std::string first_mismatch;
  bool passed() const { return mismatches == 0; }
};

// Scans the table in both replicas side by side: both must hold every key of `data`, each with
// the join of what the two held before the repair (RepairDataset::expected_of), byte for byte.
Result<VerifySummary> verify_replicas(const RepairDataset& data, BenchReplica& initiator,
                                      BenchReplica& peer);

}  // namespace pairdb::bench
