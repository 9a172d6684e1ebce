// Byte formats of version records and client contexts: round trips and hostile input.
#include <catch2/catch.hpp>

#include <pairdb/replication/version.h>

#include "common/coding.h"
#include "version_history.h"

using namespace pairdb;
using namespace pairdb::replication;
using namespace pairdb::replication::testing;

namespace {

std::vector<VersionRecord> sample_records(Rng& rng) {
  std::vector<VersionRecord> records;
  for (ConflictMode mode : {ConflictMode::kSiblings, ConflictMode::kLww}) {
    const History h = random_history(rng, mode, 3, 60);
    records.insert(records.end(), h.outputs.begin(), h.outputs.end());
    records.insert(records.end(), h.replicas.begin(), h.replicas.end());
  }
  return records;
}

// Whatever decodes must be a valid record that survives another round trip.
void check_decodes_safely(std::string_view bytes) {
  auto record = decode_record(bytes);
  if (!record.is_ok()) {
    CHECK(record.status().is_corruption());
    return;
  }
  CHECK(validate_record(*record).is_ok());
  auto again = decode_record(encode_record(*record));
  REQUIRE(again.is_ok());
  CHECK(*again == *record);
}

}  // namespace

TEST_CASE("version records round-trip through the codec", "[version][codec]") {
  VersionRecord empty;
  CHECK(*decode_record(encode_record(empty)) == empty);
  CHECK(encode_record(empty)[0] == static_cast<char>(kRecordFormatVersion));
  for_each_seed(10, [](uint64_t seed) {
    Rng rng(seed);
    for (const VersionRecord& r : sample_records(rng)) {
      auto decoded = decode_record(encode_record(r));
      REQUIRE(decoded.is_ok());
      CHECK(*decoded == r);
    }
  });
}

TEST_CASE("a record with large values and binary bytes round-trips", "[version][codec]") {
  LocalWrite w = put_write(std::string(1 << 20, '\0'));
  w.value[12345] = '\xff';
  w.expires_at_ms = UINT64_MAX;
  const WriteOutcome out = apply_ok({}, w, node(1), 1'700'000'000'000);
  auto decoded = decode_record(encode_record(out.record));
  REQUIRE(decoded.is_ok());
  CHECK(*decoded == out.record);
}

TEST_CASE("every truncation of a record is Corruption", "[version][codec]") {
  Rng rng(3);
  for (const VersionRecord& r : sample_records(rng)) {
    const std::string bytes = encode_record(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto decoded = decode_record(std::string_view(bytes).substr(0, n));
      REQUIRE_FALSE(decoded.is_ok());
      CHECK(decoded.status().is_corruption());
    }
    CHECK_FALSE(decode_record(bytes + "x").is_ok());  // Trailing bytes.
  }
}

TEST_CASE("bit flips and garbage never crash the record decoder", "[version][codec]") {
  for_each_seed(5, [](uint64_t seed) {
    Rng rng(seed);
    for (const VersionRecord& r : sample_records(rng)) {
      std::string bytes = encode_record(r);
      for (int i = 0; i < 20; ++i) {
        std::string flipped = bytes;
        flipped[rng.uniform(flipped.size())] ^= static_cast<char>(1 << rng.uniform(8));
        check_decodes_safely(flipped);
      }
    }
    for (int i = 0; i < 2000; ++i) {
      std::string garbage(rng.uniform(64), '\0');
      for (char& c : garbage) c = static_cast<char>(rng.uniform(256));
      if (!garbage.empty() && rng.chance(0.5)) garbage[0] = static_cast<char>(kRecordFormatVersion);
      check_decodes_safely(garbage);
    }
  });
}

TEST_CASE("records that break an invariant are Corruption", "[version][codec]") {
  // A forged huge sibling count with no bytes behind it is refused before allocating.
  std::string huge;
  huge.push_back(static_cast<char>(kRecordFormatVersion));
  put_varint64(&huge, 0);           // Empty context.
  put_varint64(&huge, 1ull << 60);  // Siblings.
  CHECK(decode_record(huge).status().is_corruption());

  // A sibling whose dot the context does not cover: lower the context's counter for node 1.
  const WriteOutcome a = apply_ok({}, put_write("a"), node(1), 100);
  const WriteOutcome b = apply_ok(a.record, put_write("b"), node(1), 101);
  std::string bytes = encode_record(b.record);
  const size_t counter_at = 1 + 1 + 16;  // Format, entry count, node id.
  REQUIRE(bytes[counter_at] == 2);
  bytes[counter_at] = 1;
  auto decoded = decode_record(bytes);
  REQUIRE_FALSE(decoded.is_ok());
  CHECK(decoded.status().is_corruption());

  std::string unknown_format = encode_record(b.record);
  unknown_format[0] = 2;
  CHECK(decode_record(unknown_format).status().is_corruption());
  CHECK(decode_record("").status().is_corruption());
}

TEST_CASE("a record's digest is a function of its content: replicas that merged agree",
          "[version][codec]") {
  const VersionRecord a = apply_ok(VersionRecord{}, put_write("a"), node(1), 1000).record;
  const VersionRecord b = apply_ok(VersionRecord{}, put_write("b"), node(2), 1001).record;
  const VersionRecord ab = merge(a, b, ConflictMode::kSiblings);
  const VersionRecord ba = merge(b, a, ConflictMode::kSiblings);
  CHECK(record_digest(ab) == record_digest(ba));
  CHECK(record_digest(merge(ab, ab, ConflictMode::kSiblings)) == record_digest(ab));
  CHECK(record_digest(a) != record_digest(b));
  CHECK(record_digest(a) != record_digest(ab));
  CHECK(record_digest(VersionRecord{}) == record_digest(VersionRecord{}));
}
