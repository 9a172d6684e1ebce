#include "lsm/table_options.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"
#include "lsm/block.h"
#include "lsm/block_builder.h"
#include "lsm/bloom.h"
#include "lsm/format.h"

namespace pairdb::lsm {
namespace {

static_assert(kTableBlockBytesMax + kTableEntryBytesMax + (size_t{1} << 20) <= kBlockBytesMax,
              "a data block (target size plus one oversized entry) must fit in a block");

struct CounterProperty {
  std::string_view name;
  uint64_t TableProperties::*field;
};

constexpr std::array<CounterProperty, 7> kCounters = {{
    {"pairdb.data_bytes", &TableProperties::data_bytes},
    {"pairdb.deletion_count", &TableProperties::deletion_count},
    {"pairdb.entry_count", &TableProperties::entry_count},
    {"pairdb.filter_bytes", &TableProperties::filter_bytes},
    {"pairdb.index_bytes", &TableProperties::index_bytes},
    {"pairdb.raw_key_bytes", &TableProperties::raw_key_bytes},
    {"pairdb.raw_value_bytes", &TableProperties::raw_value_bytes},
}};
constexpr std::string_view kLargestKey = "pairdb.largest_key";
constexpr std::string_view kSmallestKey = "pairdb.smallest_key";

}  // namespace

void assert_valid_table_options(const TableOptions& options) {
  PAIRDB_ASSERT(options.comparator != nullptr);
  PAIRDB_ASSERT(options.block_bytes >= 1);
  PAIRDB_ASSERT(options.block_bytes <= kTableBlockBytesMax);
  PAIRDB_ASSERT(options.block_restart_interval >= 1);
  PAIRDB_ASSERT(options.block_restart_interval <= kBlockRestartIntervalMax);
  PAIRDB_ASSERT(options.bloom_bits_per_key >= 0);
  PAIRDB_ASSERT(options.bloom_bits_per_key <= kBloomBitsPerKeyMax);
}

std::string encode_table_properties(const TableProperties& properties) {
  std::vector<std::pair<std::string_view, std::string>> entries;
  for (const CounterProperty& counter : kCounters) {
    std::string value;
    put_varint64(&value, properties.*counter.field);
    entries.emplace_back(counter.name, std::move(value));
  }
  entries.emplace_back(kSmallestKey, properties.smallest_key);
  entries.emplace_back(kLargestKey, properties.largest_key);
  std::sort(entries.begin(), entries.end());  // A block's keys must be increasing.

  BlockBuilder builder(1, bytewise_comparator());
  for (const auto& [name, value] : entries) builder.add(name, value);
  return std::string(builder.finish());
}

Result<TableProperties> decode_table_properties(std::string contents, std::string_view where) {
  auto block = std::make_shared<const Block>(std::move(contents), std::string(where));
  std::unique_ptr<Iterator> it = Block::new_iterator(block, bytewise_comparator());
  TableProperties properties;
  uint32_t found = 0;  // Bit i: kCounters[i]; then smallest, largest.
  constexpr uint32_t kAllFound = (1u << (kCounters.size() + 2)) - 1;
  for (it->seek_to_first(); it->valid(); it->next()) {
    std::string_view name = it->key();
    std::string_view value = it->value();
    if (name == kSmallestKey) {
      properties.smallest_key = value;
      found |= 1u << kCounters.size();
    } else if (name == kLargestKey) {
      properties.largest_key = value;
      found |= 1u << (kCounters.size() + 1);
    }
    for (size_t i = 0; i < kCounters.size(); ++i) {
      if (kCounters[i].name != name) continue;
      if (!get_varint64(&value, &(properties.*kCounters[i].field)) || !value.empty()) {
        return Status::corruption(fmt::format("bad property {} in {}", name, where));
      }
      found |= 1u << i;
    }
  }
  PAIRDB_TRY(it->status());
  if (found != kAllFound) {
    return Status::corruption(fmt::format("missing table properties in {}", where));
  }
  return properties;
}

}  // namespace pairdb::lsm
