// The SSTable file format: block handles, the block trailer and the footer.
//
// File layout:
//   data block*        each followed by a block trailer
//   filter block       (absent when bloom_bits_per_key == 0; its handle is then {0, 0})
//   properties block   a BlockBuilder block of "pairdb.<name>" -> value, names sorted
//   index block        one entry per data block: separator internal key -> encoded BlockHandle
//   footer             kFooterBytes, see below
// Block trailer (kBlockTrailerBytes): type (1 byte, 0 = uncompressed) | fixed32 checksum32 over
// the contents followed by the type byte.
// Footer: filter handle | properties handle | index handle, zero-padded to
// kFooterHandlesBytes | fixed32 format version | fixed32 checksum32 of all preceding footer bytes
// | fixed64 kTableMagic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <pairdb/lsm/env.h>
#include <pairdb/status.h>

#include "common/coding.h"

namespace pairdb::lsm {

// Bytes "pairdbST" when stored little-endian.
constexpr uint64_t kTableMagic = 0x5453626472696170ull;
constexpr uint32_t kTableFormatVersion = 1;

constexpr uint8_t kBlockTypeUncompressed = 0;
constexpr size_t kBlockTrailerBytes = 1 + sizeof(uint32_t);
// No block, even one holding a single huge value, may exceed this; a larger handle is corrupt.
constexpr uint64_t kBlockBytesMax = uint64_t{1} << 30;

// Where a block lives in a file. A plain value type.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;  // Contents only, excluding the block trailer.

  static constexpr size_t kEncodedBytesMax = 2 * kVarint64BytesMax;

  void encode_to(std::string* dst) const;
  std::string encode() const;
  // Consumes a handle from the front of *input. Corruption when truncated or malformed.
  static Result<BlockHandle> decode_from(std::string_view* input);

  friend bool operator==(const BlockHandle&, const BlockHandle&) = default;
};

// The fixed-size tail of every SSTable; it locates the other metadata blocks.
struct Footer {
  BlockHandle filter;  // {0, 0} when the table has no filter.
  BlockHandle properties;
  BlockHandle index;
  uint32_t format_version = kTableFormatVersion;

  static constexpr size_t kHandlesBytes = 3 * BlockHandle::kEncodedBytesMax;
  static constexpr size_t kEncodedBytes = kHandlesBytes + 4 + 4 + 8;

  // Appends exactly kEncodedBytes.
  void encode_to(std::string* dst) const;
  // Accepts any bytes: a wrong size, magic, checksum or version is Corruption.
  static Result<Footer> decode(std::string_view input);

  friend bool operator==(const Footer&, const Footer&) = default;
};

// The 5-byte trailer for `contents` stored uncompressed.
std::string make_block_trailer(std::string_view contents);

// Checks the trailer at the end of contents_and_trailer (type known, checksum matches).
// `where` names the block in the message, e.g. "000012.sst at offset 4096 (size 4021)".
Status verify_block_trailer(std::string_view contents_and_trailer, std::string_view where);

// Appends contents and its trailer to file at `offset` (the file's current size, which the
// caller tracks). Returns the new block's handle.
Result<BlockHandle> write_block(WritableFile* file, uint64_t offset, std::string_view contents);

// Reads a block and verifies its trailer on every read. Corruption names the file, the block
// offset and what was wrong; a short read is Corruption too (the table claims bytes it lacks).
// Reads and verifies a block without copying it: the result points into the file's own memory
// (a mapped file) or into *scratch, which this allocates when needed.
Result<std::string_view> read_block_view(const RandomAccessFile& file, const BlockHandle& handle,
                                         std::string_view file_name,
                                         std::unique_ptr<char[]>* scratch);
Result<std::string> read_block(const RandomAccessFile& file, const BlockHandle& handle,
                               std::string_view file_name);

}  // namespace pairdb::lsm
