// Options and properties of one SSTable, shared by TableBuilder and TableReader.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <pairdb/status.h>

#include "lsm/dbformat.h"

namespace pairdb::lsm {

constexpr size_t kTableBlockBytesMax = size_t{64} << 20;
// Bytes of one internal key plus its value; the DB layer enforces tighter limits on user data.
constexpr size_t kTableEntryBytesMax = size_t{256} << 20;

class Block;
template <typename V>
class LruCache;

// Engine-wide read counters shared by every open table (relaxed atomics).
struct TableReadCounters {
  std::atomic<uint64_t> filter_checked{0};  // Lookups that consulted a bloom filter.
  std::atomic<uint64_t> filter_useful{0};   // ... that the filter answered "absent".
  std::atomic<uint64_t> block_reads{0};     // Data blocks read from files (cache misses).
  std::atomic<uint64_t> block_read_bytes{0};
};

struct TableOptions {
  const InternalKeyComparator* comparator = nullptr;  // Required. Orders the table's keys.
  LruCache<Block>* block_cache = nullptr;             // Optional; shared by all tables.
  TableReadCounters* counters = nullptr;              // Optional; shared by all tables.
  size_t block_bytes = 4096;        // Target data block size; 1..kTableBlockBytesMax.
  int block_restart_interval = 16;  // 1..kBlockRestartIntervalMax.
  int bloom_bits_per_key = 10;      // 0 = no filter; else 1..kBloomBitsPerKeyMax.
};

// Asserts the bounds above: options come from code, not from disk.
void assert_valid_table_options(const TableOptions& options);

// Facts about one table, stored in its properties block.
struct TableProperties {
  uint64_t entry_count = 0;
  uint64_t deletion_count = 0;
  uint64_t data_bytes = 0;    // Data blocks including their trailers.
  uint64_t index_bytes = 0;   // Index block including its trailer.
  uint64_t filter_bytes = 0;  // Filter block including its trailer; 0 when there is none.
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  std::string smallest_key;  // Internal keys; empty when entry_count == 0.
  std::string largest_key;

  friend bool operator==(const TableProperties&, const TableProperties&) = default;
};

// Contents of a properties block (a BlockBuilder block, names sorted bytewise).
std::string encode_table_properties(const TableProperties& properties);
// Unknown names are skipped so later versions can add properties. A missing or malformed
// property is Corruption; `where` names the block in the message.
Result<TableProperties> decode_table_properties(std::string contents, std::string_view where);

}  // namespace pairdb::lsm
