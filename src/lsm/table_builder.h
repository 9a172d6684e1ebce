// Writes one SSTable (format in format.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/lsm/env.h>
#include <pairdb/status.h>

#include "lsm/block_builder.h"
#include "lsm/bloom.h"
#include "lsm/format.h"
#include "lsm/table_options.h"

namespace pairdb::lsm {

// Streams sorted internal keys into data blocks and, on finish(), writes the filter,
// properties, index and footer. Single thread.
// Invariants: keys are strictly increasing under options.comparator; offset_ equals the bytes
// handed to file_; after the first write error nothing more is written and status() keeps it.
class TableBuilder {
 public:
  // `file` is not owned and must be empty.
  // REQUIRES: options valid (assert_valid_table_options); file outlives the builder.
  TableBuilder(const TableOptions& options, WritableFile* file);
  // REQUIRES: finish() or abandon() called (a half-written table is a bug, not a table).
  ~TableBuilder();

  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // REQUIRES: internal_key is a well-formed internal key > every key added before (asserted);
  // internal_key.size() + value.size() <= kTableEntryBytesMax; finish()/abandon() not called.
  void add(std::string_view internal_key, std::string_view value);

  // The first write error, if any.
  Status status() const { return status_; }

  // Writes data, filter, properties, index and footer. Does not sync or close the file.
  // REQUIRES: finish()/abandon() not called.
  Status finish();

  // Stops building; the caller deletes the file. REQUIRES: finish()/abandon() not called.
  void abandon();

  uint64_t entry_count() const { return properties_.entry_count; }
  // Bytes written so far; the final file size after finish() succeeds.
  uint64_t file_size() const { return offset_; }
  // Complete (including index_bytes) once finish() returns OK.
  const TableProperties& properties() const { return properties_; }

 private:
  enum class State { kBuilding, kFinished, kAbandoned };

  // Writes the current data block and remembers its handle for the index.
  void flush_data_block();
  // Adds the index entry of the block just flushed, separating it from next_key (empty: the
  // block is the table's last).
  void add_pending_index_entry(std::string_view next_key);
  // Writes contents as one block at offset_; records the first error in status_.
  std::optional<BlockHandle> emit_block(std::string_view contents);
  Status write_metadata_and_footer();

  const TableOptions options_;
  WritableFile* const file_;
  State state_ = State::kBuilding;
  Status status_;
  uint64_t offset_ = 0;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::optional<BloomFilterBuilder> filter_;  // Absent when bloom_bits_per_key == 0.
  std::string last_key_;

  // Set after a data block is written until its index entry is added (which waits for the next
  // key so the separator can be short).
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;

  TableProperties properties_;
};

}  // namespace pairdb::lsm
