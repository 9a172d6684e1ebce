// Reads a block written by BlockBuilder (layout in block_builder.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <pairdb/lsm/comparator.h>
#include <pairdb/lsm/iterator.h>
#include <pairdb/status.h>

#include "lsm/empty_iterator.h"

namespace pairdb::lsm {

// An immutable, parsed block that owns its bytes. Safe for concurrent readers; each iterator is
// used by one thread at a time.
//
// The bytes come from disk and may be garbage even after a checksum check (a bug or a checksum
// collision). The constructor validates the restart array (count and every offset in bounds,
// strictly increasing, the first at 0); a block that fails is kept but reports Corruption from
// status() and from every iterator. Iterators bounds-check every entry they decode and turn a bad
// entry into Corruption; they never read outside the block.
class Block {
 public:
  // `origin` names the block in error messages, e.g. "000012.sst block at offset 4096".
  explicit Block(std::string contents, std::string origin = "block");
  // A block of a table file: named "<file_name> block at offset <offset>" in errors. The name
  // is shared, not copied, so reading a block formats no string.
  Block(std::string contents, std::shared_ptr<const std::string> file_name, uint64_t offset);
  // A block read in place from memory someone else owns (a mapped table file); keep_alive
  // keeps that memory valid for the block's lifetime.
  Block(std::string_view unowned, std::shared_ptr<const void> keep_alive,
        std::shared_ptr<const std::string> file_name, uint64_t offset);

  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Corruption when the restart array is malformed.
  const Status& status() const { return status_; }
  // Bytes of the block contents, including the restart array.
  size_t size() const { return contents_.size(); }
  std::string origin() const;

  // An iterator over this block's entries, ordered by comparator.
  // REQUIRES: this block and comparator outlive the iterator.
  std::unique_ptr<Iterator> new_iterator(const Comparator* comparator) const;

  // As above, but the iterator keeps the block alive.
  static std::unique_ptr<Iterator> new_iterator(std::shared_ptr<const Block> block,
                                                const Comparator* comparator);

 private:
  friend class BlockIterator;

  Status validate_restarts();
  uint32_t restart_point(uint32_t index) const;

  const std::string storage_;                        // Owned bytes; empty when borrowed.
  const std::shared_ptr<const void> keep_alive_;     // Owner of borrowed bytes.
  const std::string_view contents_;                  // storage_, or the borrowed bytes.
  const std::shared_ptr<const std::string> origin_;  // A file name, or the whole origin.
  const uint64_t origin_offset_;                     // kNoOffset: origin_ is the whole origin.
  static constexpr uint64_t kNoOffset = UINT64_MAX;

  void parse();
  Status status_;
  uint32_t data_bytes_ = 0;     // Entries occupy [0, data_bytes_); restarts follow.
  uint32_t restart_count_ = 0;  // Zero only when status_ is not OK.
};

}  // namespace pairdb::lsm
