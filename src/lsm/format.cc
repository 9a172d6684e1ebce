#include "lsm/format.h"

#include <cstring>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/hash.h"

namespace pairdb::lsm {

static_assert(Footer::kEncodedBytes == 76, "the footer size is part of the on-disk format");
static_assert(kBlockBytesMax + kBlockTrailerBytes < UINT32_MAX, "blocks use fixed32 offsets");

void BlockHandle::encode_to(std::string* dst) const {
  put_varint64(dst, offset);
  put_varint64(dst, size);
}

std::string BlockHandle::encode() const {
  std::string out;
  encode_to(&out);
  return out;
}

Result<BlockHandle> BlockHandle::decode_from(std::string_view* input) {
  BlockHandle handle;
  if (!get_varint64(input, &handle.offset) || !get_varint64(input, &handle.size)) {
    return Status::corruption("bad block handle");
  }
  return handle;
}

void Footer::encode_to(std::string* dst) const {
  const size_t start = dst->size();
  filter.encode_to(dst);
  properties.encode_to(dst);
  index.encode_to(dst);
  PAIRDB_ASSERT(dst->size() - start <= kHandlesBytes);
  dst->resize(start + kHandlesBytes, '\0');
  put_fixed32(dst, format_version);
  put_fixed32(dst, checksum32(std::string_view(*dst).substr(start)));
  put_fixed64(dst, kTableMagic);
  PAIRDB_ASSERT(dst->size() - start == kEncodedBytes);
}

Result<Footer> Footer::decode(std::string_view input) {
  if (input.size() != kEncodedBytes) {
    return Status::corruption(
        fmt::format("footer is {} bytes, want {}", input.size(), kEncodedBytes));
  }
  uint64_t magic = decode_fixed64(input.data() + kEncodedBytes - 8);
  if (magic != kTableMagic) {
    return Status::corruption(fmt::format("bad table magic {:#018x}: not a pairdb table", magic));
  }
  const size_t checked_bytes = kHandlesBytes + 4;
  uint32_t stored = decode_fixed32(input.data() + checked_bytes);
  uint32_t actual = checksum32(input.substr(0, checked_bytes));
  if (stored != actual) {
    return Status::corruption(fmt::format(
        "footer checksum mismatch (stored {:#010x}, computed {:#010x})", stored, actual));
  }
  Footer footer;
  footer.format_version = decode_fixed32(input.data() + kHandlesBytes);
  if (footer.format_version != kTableFormatVersion) {
    return Status::corruption(
        fmt::format("unknown table format version {}", footer.format_version));
  }
  std::string_view handles = input.substr(0, kHandlesBytes);
  PAIRDB_ASSIGN_OR_RETURN(footer.filter, BlockHandle::decode_from(&handles));
  PAIRDB_ASSIGN_OR_RETURN(footer.properties, BlockHandle::decode_from(&handles));
  PAIRDB_ASSIGN_OR_RETURN(footer.index, BlockHandle::decode_from(&handles));
  return footer;
}

std::string make_block_trailer(std::string_view contents) {
  const char type = static_cast<char>(kBlockTypeUncompressed);
  std::string trailer(1, type);
  put_fixed32(&trailer, checksum32(contents, std::string_view(&type, 1)));
  PAIRDB_ASSERT(trailer.size() == kBlockTrailerBytes);
  return trailer;
}

Status verify_block_trailer(std::string_view contents_and_trailer, std::string_view where) {
  if (contents_and_trailer.size() < kBlockTrailerBytes) {
    return Status::corruption(fmt::format("block too short for its trailer in {}", where));
  }
  const size_t contents_bytes = contents_and_trailer.size() - kBlockTrailerBytes;
  std::string_view contents = contents_and_trailer.substr(0, contents_bytes);
  std::string_view type = contents_and_trailer.substr(contents_bytes, 1);
  uint32_t stored = decode_fixed32(contents_and_trailer.data() + contents_bytes + 1);
  if (stored != checksum32(contents, type)) {
    return Status::corruption(fmt::format("block checksum mismatch in {}", where));
  }
  if (static_cast<uint8_t>(type[0]) != kBlockTypeUncompressed) {
    return Status::corruption(
        fmt::format("unknown block type {} in {}", static_cast<uint8_t>(type[0]), where));
  }
  return Status::ok();
}

Result<BlockHandle> write_block(WritableFile* file, uint64_t offset, std::string_view contents) {
  PAIRDB_ASSERT(contents.size() <= kBlockBytesMax);
  std::string trailer = make_block_trailer(contents);
#ifndef NDEBUG
  // Verify what we are about to write exactly as a reader will (paired with read_block).
  std::string whole(contents);
  whole.append(trailer);
  PAIRDB_ASSERT(verify_block_trailer(whole, "a block being written").is_ok());
#endif
  PAIRDB_TRY(file->append(contents));
  PAIRDB_TRY(file->append(trailer));
  return BlockHandle{offset, contents.size()};
}

namespace {
// The checks of verify_block_trailer without building a message: the hot path of every read.
bool block_trailer_ok(std::string_view contents_and_trailer) {
  if (contents_and_trailer.size() < kBlockTrailerBytes) return false;
  const size_t contents_bytes = contents_and_trailer.size() - kBlockTrailerBytes;
  const char type = contents_and_trailer[contents_bytes];
  return static_cast<uint8_t>(type) == kBlockTypeUncompressed &&
         decode_fixed32(contents_and_trailer.data() + contents_bytes + 1) ==
             checksum32(contents_and_trailer.substr(0, contents_bytes), std::string_view(&type, 1));
}
}  // namespace

Result<std::string_view> read_block_view(const RandomAccessFile& file, const BlockHandle& handle,
                                         std::string_view file_name,
                                         std::unique_ptr<char[]>* scratch) {
  // Error messages only: formatted when something is wrong, never on the hot path.
  auto where = [&] {
    return fmt::format("{} at offset {} (size {})", file_name, handle.offset, handle.size);
  };
  if (handle.size > kBlockBytesMax) {
    return Status::corruption(fmt::format("block too large in {}", where()));
  }
  const size_t n = handle.size + kBlockTrailerBytes;
  // Uninitialised: zero-filling would cost as much as reading the block from a mapping.
  if (*scratch == nullptr) scratch->reset(new char[n]);
  PAIRDB_ASSIGN_OR_RETURN(std::string_view got, file.read(handle.offset, n, scratch->get()));
  if (got.size() != n) {
    return Status::corruption(
        fmt::format("truncated block: read {} of {} bytes in {}", got.size(), n, where()));
  }
  // Verified where it lies: in scratch, or in memory the file owns (a mapping).
  if (!block_trailer_ok(got)) {
    Status s = verify_block_trailer(got, where());
    PAIRDB_ASSERT(!s.is_ok());  // The two checks agree.
    return s;
  }
  return got.substr(0, handle.size);
}

Result<std::string> read_block(const RandomAccessFile& file, const BlockHandle& handle,
                               std::string_view file_name) {
  std::unique_ptr<char[]> scratch;
  PAIRDB_ASSIGN_OR_RETURN(std::string_view contents,
                          read_block_view(file, handle, file_name, &scratch));
  return std::string(contents);
}

}  // namespace pairdb::lsm
