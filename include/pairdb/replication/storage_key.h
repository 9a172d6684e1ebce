// How an item's (table, partition key, sort key) becomes a key inside the LSM.
//
//   table_id (u64 big-endian) | token (u64 big-endian) | enc(partition key) | enc(sort key)
//
// token = hash64(partition key) (XXH3-64, the ring placement token). enc() is an
// order-preserving, prefix-free byte-string encoding: byte 0x00 becomes 0x00 0xFF and the string
// ends with 0x00 0x01. Consequences the rest of pairdb relies on:
// - one table is one contiguous key range, and so is one token range of one table (Merkle trees,
//   streaming and range cleanup scan ranges);
// - one partition is one contiguous range, and inside it items sort by sort key bytewise
//   (Query is a range scan);
// - an absent sort key is the same as the empty sort key: both name one item, the first of its
//   partition.
// Table id 0 (kSystemTableId) holds system metadata (the table catalog). Table id UINT64_MAX is
// reserved so that every table's range has a finite end (table_end()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

using TableId = uint64_t;

inline constexpr TableId kSystemTableId = 0;
inline constexpr TableId kTableIdMax = UINT64_MAX - 1;
inline constexpr size_t kKeyHeaderBytes = 16;  // table id + token.

// REQUIRES for every encoder below: table <= kTableIdMax.

// The full LSM key of one item.
std::string encode_item_key(TableId table, std::string_view partition_key,
                            std::string_view sort_key);

// Every item key of the partition starts with this prefix and no other key does.
std::string encode_partition_prefix(TableId table, std::string_view partition_key);
// The smallest key greater than every key of the partition (exclusive end of a partition scan).
std::string partition_end(TableId table, std::string_view partition_key);
// The key a sort-key range scan starts at (inclusive) or stops at; equal to encode_item_key.
std::string encode_sort_key_bound(TableId table, std::string_view partition_key,
                                  std::string_view sort_key);

// [encode_table_prefix(t), table_end(t)) holds exactly the keys of table t.
std::string encode_table_prefix(TableId table);
std::string table_end(TableId table);
// Every key of `table` whose token is >= token sorts at or after this key, every key with a
// smaller token before it: [start(t, a), start(t, b)) holds the tokens in [a, b).
std::string encode_token_range_start(TableId table, ring::Token token);

struct ItemKeyParts {
  TableId table = 0;
  ring::Token token = 0;
  std::string partition_key;
  std::string sort_key;

  bool operator==(const ItemKeyParts&) const = default;
};

// Parses an item key. Status::corruption for anything encode_item_key could not have produced
// (short header, reserved table id, bad escape, missing terminator, trailing bytes, or a token
// that is not hash64(partition key)).
Result<ItemKeyParts> decode_item_key(std::string_view key);

// The table of a key from its first 8 bytes, without parsing the rest.
Result<TableId> table_of_key(std::string_view key);
// The token of a key from bytes 8..16, without parsing the rest.
Result<ring::Token> token_of_key(std::string_view key);

}  // namespace pairdb::replication
