#include <pairdb/replication/storage_key.h>

#include <optional>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"

namespace pairdb::replication {

namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';

void put_component(std::string* dst, std::string_view bytes) {
  for (char c : bytes) {
    dst->push_back(c);
    if (c == kEscape) dst->push_back(kEscapedZero);
  }
  dst->push_back(kEscape);
  dst->push_back(kTerminator);
}

// Consumes one encoded component from the front of *input; nullopt when malformed.
std::optional<std::string> get_component(std::string_view* input) {
  std::string out;
  size_t i = 0;
  while (i < input->size()) {
    const char c = (*input)[i];
    if (c != kEscape) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= input->size()) return std::nullopt;
    const char next = (*input)[i + 1];
    i += 2;
    if (next == kTerminator) {
      input->remove_prefix(i);
      return out;
    }
    if (next != kEscapedZero) return std::nullopt;
    out.push_back(kEscape);
  }
  return std::nullopt;  // No terminator.
}

std::string header(TableId table, ring::Token token) {
  PAIRDB_ASSERT(table <= kTableIdMax);
  std::string key;
  key.reserve(kKeyHeaderBytes);
  put_big_endian64(&key, table);
  put_big_endian64(&key, token);
  return key;
}

}  // namespace

std::string encode_partition_prefix(TableId table, std::string_view partition_key) {
  std::string key = header(table, hash64(partition_key));
  put_component(&key, partition_key);
  return key;
}

std::string encode_item_key(TableId table, std::string_view partition_key,
                            std::string_view sort_key) {
  std::string key = encode_partition_prefix(table, partition_key);
  put_component(&key, sort_key);
  return key;
}

std::string encode_sort_key_bound(TableId table, std::string_view partition_key,
                                  std::string_view sort_key) {
  return encode_item_key(table, partition_key, sort_key);
}

std::string partition_end(TableId table, std::string_view partition_key) {
  std::string end = encode_partition_prefix(table, partition_key);
  // The prefix ends with the terminator 0x01, so its successor increments that byte: a key in
  // [prefix, end) agrees with the prefix up to its last byte and has 0x01 there, so it starts
  // with the prefix.
  PAIRDB_ASSERT(end.back() == kTerminator);
  end.back() = static_cast<char>(kTerminator + 1);
  return end;
}

std::string encode_table_prefix(TableId table) {
  PAIRDB_ASSERT(table <= kTableIdMax);
  std::string key;
  put_big_endian64(&key, table);
  return key;
}

std::string table_end(TableId table) {
  PAIRDB_ASSERT(table <= kTableIdMax);
  std::string key;
  put_big_endian64(&key, table + 1);  // Table id kTableIdMax + 1 is reserved, so this exists.
  return key;
}

std::string encode_token_range_start(TableId table, ring::Token token) {
  return header(table, token);
}

Result<TableId> table_of_key(std::string_view key) {
  if (key.size() < 8) {
    return Status::corruption(fmt::format("storage key of {} bytes has no table id", key.size()));
  }
  return get_big_endian64(key);
}

Result<ring::Token> token_of_key(std::string_view key) {
  if (key.size() < kKeyHeaderBytes) {
    return Status::corruption(fmt::format("storage key of {} bytes has no token", key.size()));
  }
  return get_big_endian64(key.substr(8));
}

Result<ItemKeyParts> decode_item_key(std::string_view key) {
  if (key.size() < kKeyHeaderBytes) {
    return Status::corruption(fmt::format("storage key of {} bytes is too short", key.size()));
  }
  ItemKeyParts parts;
  parts.table = get_big_endian64(key);
  parts.token = get_big_endian64(key.substr(8));
  if (parts.table > kTableIdMax) return Status::corruption("storage key has a reserved table id");
  std::string_view rest = key.substr(kKeyHeaderBytes);
  std::optional<std::string> partition_key = get_component(&rest);
  if (!partition_key) return Status::corruption("storage key has a malformed partition key");
  std::optional<std::string> sort_key = get_component(&rest);
  if (!sort_key) return Status::corruption("storage key has a malformed sort key");
  if (!rest.empty()) {
    return Status::corruption(fmt::format("storage key has {} trailing bytes", rest.size()));
  }
  if (hash64(*partition_key) != parts.token) {
    return Status::corruption("storage key token is not the hash of its partition key");
  }
  parts.partition_key = std::move(*partition_key);
  parts.sort_key = std::move(*sort_key);
  return parts;
}

}  // namespace pairdb::replication
