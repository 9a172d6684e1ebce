#include <catch2/catch.hpp>

#include <pairdb/replication/storage_key.h>

#include <string>
#include <vector>

#include "common/hash.h"
#include "common/rng.h"
#include "replication_test_util.h"

using namespace pairdb;
using namespace pairdb::replication;
using pairdb::replication::testing::for_each_seed;

namespace {

// Short strings over an alphabet rich in the bytes the escaping cares about.
std::string random_bytes(Rng& rng, size_t max_len) {
  static constexpr char kAlphabet[] = {'\x00', '\x01', '\x02', '\xfe', '\xff', 'a', 'b'};
  std::string s(rng.uniform(max_len + 1), '\0');
  for (char& c : s) {
    c = rng.chance(0.7) ? kAlphabet[rng.uniform(sizeof(kAlphabet))]
                        : static_cast<char>(rng.uniform(256));
  }
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

TEST_CASE("item keys round-trip, including 0x00/0xFF bytes and empty keys", "[storage_key]") {
  const std::vector<std::string> samples = {"",
                                            std::string(1, '\0'),
                                            std::string(3, '\0'),
                                            "\xff",
                                            std::string("\x00\xff\x00\x01", 4),
                                            "user:42"};
  for (TableId table : {kSystemTableId, TableId{7}, kTableIdMax}) {
    for (const auto& pk : samples) {
      for (const auto& sk : samples) {
        auto parts = decode_item_key(encode_item_key(table, pk, sk));
        REQUIRE(parts.is_ok());
        CHECK(parts->table == table);
        CHECK(parts->token == hash64(pk));
        CHECK(parts->partition_key == pk);
        CHECK(parts->sort_key == sk);
      }
    }
  }
  for_each_seed(3, [](uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 2000; ++i) {
      const std::string pk = random_bytes(rng, 12);
      const std::string sk = random_bytes(rng, 12);
      const TableId table = rng.next_u64() % (kTableIdMax + 1);
      auto parts = decode_item_key(encode_item_key(table, pk, sk));
      REQUIRE(parts.is_ok());
      CHECK(*parts == ItemKeyParts{table, hash64(pk), pk, sk});
    }
  });
}

TEST_CASE("within a partition, encoded keys sort like sort keys", "[storage_key]") {
  for_each_seed(3, [](uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 5000; ++i) {
      const std::string pk = random_bytes(rng, 6);
      const std::string a = random_bytes(rng, 8);
      // Often make b an extension of a, the case where prefix-freeness matters.
      const std::string b = rng.chance(0.3) ? a + random_bytes(rng, 3) : random_bytes(rng, 8);
      const std::string ka = encode_item_key(3, pk, a);
      const std::string kb = encode_item_key(3, pk, b);
      INFO("a=" << Catch::Detail::stringify(a) << " b=" << Catch::Detail::stringify(b));
      CHECK((ka < kb) == (a < b));
      CHECK((ka == kb) == (a == b));
      CHECK(encode_sort_key_bound(3, pk, a) == ka);
    }
  });
}

TEST_CASE("an absent sort key is the empty sort key and sorts first", "[storage_key]") {
  const std::string first = encode_item_key(1, "pk", "");
  CHECK(first < encode_item_key(1, "pk", std::string(1, '\0')));
  CHECK(first < encode_item_key(1, "pk", "a"));
  CHECK(first > encode_partition_prefix(1, "pk"));
}

TEST_CASE("a partition's keys lie between its prefix and partition_end and no other key does",
          "[storage_key]") {
  for_each_seed(3, [](uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 3000; ++i) {
      const std::string pk = random_bytes(rng, 6);
      const std::string prefix = encode_partition_prefix(9, pk);
      const std::string end = partition_end(9, pk);
      const std::string mine = encode_item_key(9, pk, random_bytes(rng, 8));
      CHECK(starts_with(mine, prefix));
      CHECK(prefix <= mine);
      CHECK(mine < end);
      // Another partition, often an extension of this one's key (same token only by chance).
      const std::string other_pk =
          rng.chance(0.5) ? pk + random_bytes(rng, 2) : random_bytes(rng, 6);
      if (other_pk == pk) continue;
      const std::string other = encode_item_key(9, other_pk, random_bytes(rng, 8));
      CHECK_FALSE(starts_with(other, prefix));
      CHECK((other < prefix || other >= end));
    }
  });
}

TEST_CASE("partition prefixes are prefix-free even when tokens collide", "[storage_key]") {
  // Same header, different partition keys: compare the encoded components alone by building
  // keys whose token bytes are equal (strip the header).
  const std::vector<std::string> pks = {
      "",     std::string(1, '\0'), "a", std::string("a\0", 2), std::string("a\0\x01", 3), "ab",
      "a\xff"};
  for (const auto& x : pks) {
    for (const auto& y : pks) {
      if (x == y) continue;
      const std::string px = encode_partition_prefix(1, x).substr(kKeyHeaderBytes);
      const std::string ky = encode_item_key(1, y, "s").substr(kKeyHeaderBytes);
      CHECK_FALSE(starts_with(ky, px));
    }
  }
}

TEST_CASE("a table's keys lie between its prefix and table_end", "[storage_key]") {
  for (TableId table : {kSystemTableId, TableId{1}, TableId{255}, TableId{256}, kTableIdMax}) {
    const std::string begin = encode_table_prefix(table);
    const std::string end = table_end(table);
    CHECK(begin < end);
    const std::string k = encode_item_key(table, std::string(4, '\xff'), std::string(4, '\xff'));
    CHECK(begin <= k);
    CHECK(k < end);
    if (table < kTableIdMax) CHECK(encode_item_key(table + 1, "", "") >= end);
    CHECK(*table_of_key(k) == table);
  }
}

TEST_CASE("token range starts order keys by token within a table", "[storage_key]") {
  Rng rng(11);
  for (int i = 0; i < 2000; ++i) {
    const std::string pk = random_bytes(rng, 8);
    const ring::Token token = hash64(pk);
    const ring::Token bound = rng.next_u64();
    const std::string key = encode_item_key(4, pk, "x");
    CHECK((key >= encode_token_range_start(4, bound)) == (token >= bound));
    CHECK(*token_of_key(key) == token);
  }
}

TEST_CASE("decoding malformed keys returns Corruption", "[storage_key]") {
  const std::string good = encode_item_key(2, "pk", "sk");
  std::string wrong_token = good;
  wrong_token[10] ^= 1;
  std::string bad_escape = good;
  bad_escape[kKeyHeaderBytes + 3] = '\x05';  // "pk" then 0x00 0x05.
  std::string reserved_table = good;
  for (int i = 0; i < 8; ++i) reserved_table[i] = '\xff';
  const std::vector<std::string> bad = {"",
                                        good.substr(0, 7),
                                        good.substr(0, kKeyHeaderBytes),
                                        good + "x",
                                        good.substr(0, good.size() - 1),
                                        good.substr(0, good.size() - 2),
                                        wrong_token,
                                        bad_escape,
                                        reserved_table,
                                        encode_partition_prefix(2, "pk")};
  for (const auto& key : bad) {
    INFO(Catch::Detail::stringify(key));
    auto parts = decode_item_key(key);
    REQUIRE_FALSE(parts.is_ok());
    CHECK(parts.status().is_corruption());
  }
  CHECK(table_of_key("short").status().is_corruption());
  CHECK(token_of_key(good.substr(0, 15)).status().is_corruption());
}

TEST_CASE("decoding random bytes never crashes", "[storage_key]") {
  for_each_seed(3, [](uint64_t seed) {
    Rng rng(seed);
    for (int i = 0; i < 20'000; ++i) {
      std::string key = random_bytes(rng, 40);
      if (rng.chance(0.5)) key = encode_item_key(rng.uniform(3), random_bytes(rng, 4), "") + key;
      auto parts = decode_item_key(key);
      if (parts.is_ok()) {
        CHECK(encode_item_key(parts->table, parts->partition_key, parts->sort_key) == key);
      }
    }
  });
}
