#include "repair_bench/dataset.h"

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::bench {

namespace {

using replication::LocalWrite;
using replication::VersionRecord;

constexpr uint64_t kBaseWallMs = 1'700'000'000'000;
constexpr std::string_view kKeyPrefix = "user";
constexpr size_t kKeyDigits = 12;
constexpr uint64_t kKindSeed = 0x6b696e64;  // Keeps the divergence draw apart from the values.

const ring::NodeId kBaseWriter = ring::NodeId::from_words(0xbe7c, 1);
const ring::NodeId kOverwriter = ring::NodeId::from_words(0xbe7c, 2);
const ring::NodeId kConcurrentWriter = ring::NodeId::from_words(0xbe7c, 3);

uint64_t hash_of(uint64_t index, uint64_t seed) {
  char bytes[8];
  std::memcpy(bytes, &index, sizeof bytes);
  return hash64(std::string_view(bytes, sizeof bytes), seed);
}

VersionRecord write_of(const VersionRecord& current, std::string value,
                       const replication::VersionVector& context, const ring::NodeId& writer,
                       uint64_t wall_ms) {
  LocalWrite write;
  write.context = context;
  write.value = std::move(value);
  write.content_type = "application/octet-stream";
  auto outcome = replication::apply_write(current, write, writer,
                                          replication::HlcTimestamp::from_parts(wall_ms, 0),
                                          wall_ms, replication::WritePolicy{});
  PAIRDB_ASSERT(outcome.is_ok());
  return std::move(outcome).value().record;
}

}  // namespace

RepairDataset::RepairDataset(const DatasetConfig& config) : config_(config) {
  PAIRDB_ASSERT(config.divergent_fraction >= 0);
  PAIRDB_ASSERT(config.divergent_fraction <= 1);
}

Divergence RepairDataset::kind_of(uint64_t index) const {
  const uint64_t h = hash_of(index, config_.seed ^ kKindSeed);
  const double roll = static_cast<double>(h >> 11) * 0x1p-53;  // Uniform in [0, 1).
  if (roll >= config_.divergent_fraction) return Divergence::kNone;
  switch (h & 3) {
    case 0:
    case 1:
      return Divergence::kMissingOnInitiator;
    case 2:
      return Divergence::kNewerOnPeer;
    default:
      return Divergence::kConcurrentOnPeer;
  }
}

std::string RepairDataset::value_of(uint64_t index, uint64_t version) const {
  std::string value(config_.value_bytes, '\0');
  uint64_t state = hash_of(index, config_.seed + version);
  for (size_t i = 0; i < value.size(); ++i) {
    if (i % 8 == 0) state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    value[i] = static_cast<char>('a' + ((state >> (8 * (i % 8))) & 0xff) % 26);
  }
  return value;
}

KeyRecords RepairDataset::records_of(uint64_t index) const {
  PAIRDB_ASSERT(index < config_.keys);
  KeyRecords out;
  const std::string partition_key = fmt::format("{}{:0{}}", kKeyPrefix, index, kKeyDigits);
  out.storage_key = replication::encode_item_key(config_.table, partition_key, "");
  out.kind = kind_of(index);
  const uint64_t wall_ms = kBaseWallMs + index % 1000;
  const VersionRecord base = write_of({}, value_of(index, 0), {}, kBaseWriter, wall_ms);
  std::string base_bytes = replication::encode_record(base);
  switch (out.kind) {
    case Divergence::kNone:
      out.initiator = base_bytes;
      out.peer = std::move(base_bytes);
      break;
    case Divergence::kMissingOnInitiator:
      out.peer = std::move(base_bytes);
      break;
    case Divergence::kNewerOnPeer:
      out.initiator = std::move(base_bytes);
      out.peer = replication::encode_record(
          write_of(base, value_of(index, 1), base.context, kOverwriter, wall_ms + 1));
      break;
    case Divergence::kConcurrentOnPeer:
      out.initiator = std::move(base_bytes);
      out.peer = replication::encode_record(
          write_of({}, value_of(index, 2), {}, kConcurrentWriter, wall_ms + 1));
      break;
  }
  return out;
}

std::string RepairDataset::expected_of(const KeyRecords& records) {
  PAIRDB_ASSERT(records.initiator || records.peer);
  if (!records.initiator) return *records.peer;
  if (!records.peer) return *records.initiator;
  if (*records.initiator == *records.peer) return *records.peer;  // The join is idempotent.
  const VersionRecord joined = replication::merge(
      replication::decode_record(*records.initiator).value(),
      replication::decode_record(*records.peer).value(), replication::ConflictMode::kSiblings);
  return replication::encode_record(joined);
}

Result<uint64_t> RepairDataset::index_of(std::string_view storage_key) const {
  PAIRDB_ASSIGN_OR_RETURN(replication::ItemKeyParts parts,
                          replication::decode_item_key(storage_key));
  const std::string& pk = parts.partition_key;
  uint64_t index = 0;
  if (parts.table != config_.table || !parts.sort_key.empty() ||
      pk.size() != kKeyPrefix.size() + kKeyDigits || !pk.starts_with(kKeyPrefix)) {
    return Status::corruption(fmt::format("not a key of the data set: {}", pk));
  }
  const char* digits = pk.data() + kKeyPrefix.size();
  const auto [end, error] = std::from_chars(digits, pk.data() + pk.size(), index);
  if (error != std::errc() || end != pk.data() + pk.size() || index >= config_.keys) {
    return Status::corruption(fmt::format("not a key of the data set: {}", pk));
  }
  return index;
}

}  // namespace pairdb::bench
