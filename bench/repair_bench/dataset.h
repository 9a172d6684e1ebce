// RepairDataset: the records two replicas hold before an anti-entropy benchmark run, generated
// deterministically from (key index, seed) so that the loader and the checker agree without
// keeping the data set in memory.
//
// Every key is one item (partition key "user<12 digits>", no sort key) of one table, stored as
// the encode_record bytes of a valid VersionRecord, exactly what ReplicaStore would store. A
// key is divergent with probability `divergent_fraction` (drawn from a hash of its index), and
// then of one of three kinds, drawn from the same hash:
//   - kMissingOnInitiator (1/2): only the peer holds the record (the initiator missed the write);
//   - kNewerOnPeer (1/4): both hold the base write, the peer also took an overwrite made with the
//     base's context, which supersedes it (the initiator missed the overwrite);
//   - kConcurrentOnPeer (1/4): the initiator holds the base write, the peer only a concurrent
//     blind write of another node (each missed the other's): the join keeps both as siblings.
// Non-divergent keys hold the same base write on both replicas.
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/replication/storage_key.h>
#include <pairdb/replication/version.h>
#include <pairdb/status.h>

namespace pairdb::bench {

enum class Divergence : uint8_t {
  kNone,
  kMissingOnInitiator,
  kNewerOnPeer,
  kConcurrentOnPeer,
};
inline constexpr size_t kDivergenceKinds = 4;

struct DatasetConfig {
  uint64_t keys = 1'000'000;
  uint32_t value_bytes = 100;
  double divergent_fraction = 0;  // In [0, 1].
  uint64_t seed = 1;
  replication::TableId table = 42;
};

// What each replica holds for one key before the repair.
struct KeyRecords {
  std::string storage_key;
  Divergence kind = Divergence::kNone;
  std::optional<std::string> initiator;  // Encoded record; nullopt when absent.
  std::optional<std::string> peer;
};

class RepairDataset {
 public:
  explicit RepairDataset(const DatasetConfig& config);

  const DatasetConfig& config() const { return config_; }
  // REQUIRES: index < config().keys.
  KeyRecords records_of(uint64_t index) const;
  // The record both replicas must hold after a complete repair: the join of both sides.
  static std::string expected_of(const KeyRecords& records);
  // The key index of a storage key this data set produced; Status::corruption otherwise.
  Result<uint64_t> index_of(std::string_view storage_key) const;

 private:
  Divergence kind_of(uint64_t index) const;
  std::string value_of(uint64_t index, uint64_t version) const;

  const DatasetConfig config_;
};

}  // namespace pairdb::bench
