#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/coding.h"
#include "lsm/block.h"
#include "lsm/block_builder.h"

using namespace pairdb;
using namespace pairdb::lsm;

namespace {

using Entries = std::map<std::string, std::string>;

// Keys with long shared prefixes ("tenant/07/user/..."), so prefix compression matters.
Entries make_entries(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Entries entries;
  while (entries.size() < count) {
    std::string key = "tenant/" + std::to_string(rng() % 8) + "/user/";
    size_t suffix_bytes = 1 + rng() % 12;
    for (size_t i = 0; i < suffix_bytes; ++i) key.push_back(static_cast<char>('a' + rng() % 4));
    std::string value(rng() % 24, static_cast<char>('A' + rng() % 26));
    entries.emplace(std::move(key), std::move(value));
  }
  return entries;
}

std::string build_block(const Entries& entries, int restart_interval) {
  BlockBuilder builder(restart_interval, bytewise_comparator());
  for (const auto& [key, value] : entries) builder.add(key, value);
  size_t estimate = builder.size_estimate();
  std::string contents(builder.finish());
  REQUIRE(contents.size() == estimate);
  return contents;
}

// Runs every positioning operation over a (possibly garbage) block; the test is that ASan and
// UBSan see no bad access and every loop ends.
void exercise(const Block& block) {
  std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
  size_t steps_max = block.size() + 1;  // Each entry takes at least one byte.
  size_t steps = 0;
  for (it->seek_to_first(); it->valid() && steps < steps_max; it->next()) ++steps;
  REQUIRE(steps < steps_max);
  steps = 0;
  for (it->seek_to_last(); it->valid() && steps < steps_max; it->prev()) ++steps;
  REQUIRE(steps < steps_max);
  for (std::string_view target : {"", "tenant/3", "\xff\xff"}) {
    it->seek(target);
    if (it->valid()) {
      (void)it->key();
      (void)it->value();
    }
  }
}

}  // namespace

TEST_CASE("block iterates forward and backward over the keys it was built from", "[block]") {
  const Entries entries = make_entries(2000, 1);
  for (int interval : {1, 2, 16, 1024}) {
    Block block(build_block(entries, interval));
    REQUIRE(block.status().is_ok());
    std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());

    auto expected = entries.begin();
    for (it->seek_to_first(); it->valid(); it->next(), ++expected) {
      REQUIRE(expected != entries.end());
      REQUIRE(it->key() == expected->first);
      REQUIRE(it->value() == expected->second);
    }
    REQUIRE(expected == entries.end());
    REQUIRE(it->status().is_ok());

    auto reverse = entries.rbegin();
    for (it->seek_to_last(); it->valid(); it->prev(), ++reverse) {
      REQUIRE(reverse != entries.rend());
      REQUIRE(it->key() == reverse->first);
    }
    REQUIRE(reverse == entries.rend());
  }
}

TEST_CASE("block prefix compression stores far fewer bytes than the raw keys", "[block]") {
  const Entries entries = make_entries(2000, 2);
  size_t raw_bytes = 0;
  for (const auto& [key, value] : entries) raw_bytes += key.size() + value.size();
  std::string compressed = build_block(entries, 16);
  INFO("raw " << raw_bytes << " bytes, block " << compressed.size() << " bytes");
  REQUIRE(compressed.size() < raw_bytes * 3 / 4);
}

TEST_CASE("block seek finds every key and lands on the successor between keys", "[block]") {
  const Entries entries = make_entries(1500, 3);
  for (int interval : {1, 3, 16}) {
    Block block(build_block(entries, interval));
    std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
    for (auto entry = entries.begin(); entry != entries.end(); ++entry) {
      it->seek(entry->first);
      REQUIRE(it->valid());
      REQUIRE(it->key() == entry->first);
      REQUIRE(it->value() == entry->second);

      // Just after this key and before the next one.
      it->seek(entry->first + '\0');
      auto successor = std::next(entry);
      if (successor == entries.end()) {
        REQUIRE_FALSE(it->valid());
      } else {
        REQUIRE(it->valid());
        REQUIRE(it->key() == successor->first);
      }
    }
    it->seek("");
    REQUIRE(it->key() == entries.begin()->first);
    it->seek("\xff");
    REQUIRE_FALSE(it->valid());
    REQUIRE(it->status().is_ok());
  }
}

TEST_CASE("block prev and next interleave correctly across restart points", "[block]") {
  const Entries entries = make_entries(300, 4);
  std::vector<std::string> keys;
  for (const auto& entry : entries) keys.push_back(entry.first);
  Block block(build_block(entries, 4));
  std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());

  // Walk two forward, one back from every start position; each prev crosses a restart point
  // at some position because the interval is 4.
  for (size_t start = 0; start + 2 < keys.size(); ++start) {
    it->seek(keys[start]);
    it->next();
    it->next();
    REQUIRE(it->key() == keys[start + 2]);
    it->prev();
    REQUIRE(it->key() == keys[start + 1]);
    it->prev();
    REQUIRE(it->key() == keys[start]);
  }
  it->seek_to_first();
  it->prev();
  REQUIRE_FALSE(it->valid());
  REQUIRE(it->status().is_ok());
}

TEST_CASE("empty block yields an iterator with no entries and OK status", "[block]") {
  Block block(build_block({}, 16));
  REQUIRE(block.status().is_ok());
  std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
  it->seek_to_first();
  REQUIRE_FALSE(it->valid());
  it->seek_to_last();
  REQUIRE_FALSE(it->valid());
  it->seek("x");
  REQUIRE_FALSE(it->valid());
  REQUIRE(it->status().is_ok());
}

TEST_CASE("block with a malformed restart array reports Corruption", "[block]") {
  std::string valid = build_block(make_entries(50, 5), 4);
  std::vector<std::string> bad;
  bad.push_back("");                   // Too short for a restart count.
  bad.push_back(std::string("\x01"));  // Still too short.
  std::string huge_count = valid;
  encode_fixed32(huge_count.data() + huge_count.size() - 4, 1u << 30);
  bad.push_back(huge_count);
  std::string zero_count = valid;
  encode_fixed32(zero_count.data() + zero_count.size() - 4, 0);
  bad.push_back(zero_count);
  std::string first_not_zero = valid;
  uint32_t count = decode_fixed32(valid.data() + valid.size() - 4);
  encode_fixed32(first_not_zero.data() + valid.size() - 4 * (count + 1), 7);
  bad.push_back(first_not_zero);
  std::string past_end = valid;
  encode_fixed32(past_end.data() + valid.size() - 8, 1u << 20);
  bad.push_back(past_end);

  for (std::string& contents : bad) {
    Block block(contents, "test block");
    REQUIRE(block.status().is_corruption());
    std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
    it->seek_to_first();
    REQUIRE_FALSE(it->valid());
    REQUIRE(it->status().is_corruption());
  }
}

TEST_CASE("block entry running past the block end reports Corruption", "[block]") {
  Entries entries = {{"apple", "red"}, {"banana", "yellow"}};
  std::string contents = build_block(entries, 16);
  // The first entry starts with shared=0, non_shared=5, value=3; claim a 100-byte value.
  REQUIRE(contents[2] == 3);
  contents[2] = 100;
  Block block(contents, "test block");
  REQUIRE(block.status().is_ok());  // The restart array itself is fine.
  std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
  it->seek_to_first();
  REQUIRE_FALSE(it->valid());
  REQUIRE(it->status().is_corruption());
  INFO(it->status().to_string());
  REQUIRE(it->status().message().find("test block") != std::string_view::npos);
  it->seek("banana");  // Corruption is sticky.
  REQUIRE_FALSE(it->valid());
}

TEST_CASE("block survives random garbage and random bit flips without bad reads", "[block]") {
  std::mt19937_64 rng(6);
  const std::string valid = build_block(make_entries(200, 7), 8);
  size_t corrupt_count = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string contents;
    if (trial % 2 == 0) {
      contents.resize(rng() % 300);
      for (char& c : contents) c = static_cast<char>(rng());
      // Often make the restart count plausible so the entry decoder gets exercised.
      if (contents.size() >= 8 && trial % 4 == 0) {
        encode_fixed32(contents.data() + contents.size() - 4, 1);
        encode_fixed32(contents.data() + contents.size() - 8, 0);
      }
    } else {
      contents = valid;
      for (int flips = 1 + rng() % 4; flips > 0; --flips) {
        contents[rng() % contents.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
    }
    Block block(contents, "garbage");
    exercise(block);
    std::unique_ptr<Iterator> it = block.new_iterator(bytewise_comparator());
    it->seek_to_first();
    while (it->valid()) it->next();
    if (it->status().is_corruption()) ++corrupt_count;
  }
  // Not every garbage block is detectably malformed, but many must be.
  REQUIRE(corrupt_count > 300);
}
