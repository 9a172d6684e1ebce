#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "common/hash.h"
#include "lsm/format.h"
#include "string_file.h"

using namespace pairdb;
using namespace pairdb::lsm;
using pairdb::lsm::testing::StringRandomAccessFile;
using pairdb::lsm::testing::StringWritableFile;

namespace {

// Requires `status` to be Corruption with `text` in its message.
void require_corruption_mentioning(const Status& status, std::string_view text) {
  INFO(status.to_string());
  REQUIRE(status.is_corruption());
  REQUIRE(status.message().find(text) != std::string_view::npos);
}

Footer sample_footer() {
  Footer footer;
  footer.filter = {1000, 200};
  footer.properties = {1205, 150};
  footer.index = {1360, std::numeric_limits<uint64_t>::max()};
  return footer;
}

std::string encoding_of(const Footer& footer) {
  std::string out;
  footer.encode_to(&out);
  return out;
}

}  // namespace

TEST_CASE("block handle round-trips and rejects truncation", "[format]") {
  for (BlockHandle handle :
       {BlockHandle{0, 0}, BlockHandle{4096, 4021},
        BlockHandle{std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max()}}) {
    std::string encoded = handle.encode();
    REQUIRE(encoded.size() <= BlockHandle::kEncodedBytesMax);
    std::string_view input = encoded;
    Result<BlockHandle> decoded = BlockHandle::decode_from(&input);
    REQUIRE(decoded.is_ok());
    REQUIRE(*decoded == handle);
    REQUIRE(input.empty());

    std::string_view truncated(encoded.data(), encoded.size() - 1);
    REQUIRE(BlockHandle::decode_from(&truncated).status().is_corruption());
  }
}

TEST_CASE("footer round-trips at its fixed size", "[format]") {
  std::string encoded = "prefix";
  sample_footer().encode_to(&encoded);
  REQUIRE(encoded.size() == 6 + Footer::kEncodedBytes);
  Result<Footer> decoded = Footer::decode(std::string_view(encoded).substr(6));
  REQUIRE(decoded.is_ok());
  REQUIRE(*decoded == sample_footer());
  REQUIRE(encoded.substr(encoded.size() - 8) == "pairdbST");
}

TEST_CASE("footer with bad magic is Corruption", "[format]") {
  std::string damaged = encoding_of(sample_footer());
  damaged.back() ^= 0x01;
  require_corruption_mentioning(Footer::decode(damaged).status(), "magic");
}

TEST_CASE("footer with any flipped bit before the magic is Corruption", "[format]") {
  const std::string sample = encoding_of(sample_footer());
  for (size_t bit = 0; bit < (Footer::kEncodedBytes - 8) * 8; ++bit) {
    std::string damaged = sample;
    damaged[bit / 8] ^= static_cast<char>(1u << (bit % 8));
    require_corruption_mentioning(Footer::decode(damaged).status(), "checksum");
  }
}

TEST_CASE("footer of the wrong size or version is Corruption", "[format]") {
  const std::string sample = encoding_of(sample_footer());
  REQUIRE(Footer::decode(std::string_view(sample).substr(1)).status().is_corruption());
  REQUIRE(Footer::decode("").status().is_corruption());

  Footer future = sample_footer();
  future.format_version = kTableFormatVersion + 1;
  require_corruption_mentioning(Footer::decode(encoding_of(future)).status(), "version");
}

TEST_CASE("written blocks read back verified, from scratch or file memory", "[format]") {
  StringWritableFile sink;
  REQUIRE(sink.append("header").is_ok());
  Result<BlockHandle> first = write_block(&sink, sink.size(), "first block contents");
  REQUIRE(first.is_ok());
  Result<BlockHandle> second = write_block(&sink, sink.size(), "");
  REQUIRE(second.is_ok());
  REQUIRE(first->offset == 6);
  REQUIRE(second->offset == 6 + 20 + kBlockTrailerBytes);

  for (bool own_memory : {false, true}) {
    StringRandomAccessFile file(sink.contents(), own_memory);
    Result<std::string> block = read_block(file, *first, "000012.sst");
    REQUIRE(block.is_ok());
    REQUIRE(*block == "first block contents");
    block = read_block(file, *second, "000012.sst");
    REQUIRE(block.is_ok());
    REQUIRE(block->empty());
  }
}

TEST_CASE("block read with a flipped bit names file, offset and size", "[format]") {
  StringWritableFile sink;
  REQUIRE(sink.append(std::string(4096, 'x')).is_ok());
  std::string contents(4021, 'c');
  Result<BlockHandle> handle = write_block(&sink, sink.size(), contents);
  REQUIRE(handle.is_ok());
  for (size_t byte :
       {size_t{4096}, size_t{4096 + 2000}, size_t{4096 + 4021}, size_t{4096 + 4021 + 4}}) {
    std::string damaged = sink.contents();
    damaged[byte] ^= 0x10;
    StringRandomAccessFile file(damaged);
    Status status = read_block(file, *handle, "000012.sst").status();
    REQUIRE(status.is_corruption());
    REQUIRE(status.to_string() ==
            "Corruption: block checksum mismatch in 000012.sst at offset 4096 (size 4021)");
  }
}

TEST_CASE("block read past the end of the file is Corruption", "[format]") {
  StringWritableFile sink;
  Result<BlockHandle> handle = write_block(&sink, 0, "some contents");
  REQUIRE(handle.is_ok());
  StringRandomAccessFile file(sink.contents().substr(0, sink.contents().size() - 1));
  Status status = read_block(file, *handle, "000007.sst").status();
  require_corruption_mentioning(status, "truncated");
  REQUIRE(
      read_block(file, BlockHandle{0, kBlockBytesMax + 1}, "000007.sst").status().is_corruption());
}

TEST_CASE("block with an unknown type byte is Corruption even when its checksum matches",
          "[format]") {
  std::string contents = "abc";
  const char type = 7;
  std::string bytes = contents;
  bytes.push_back(type);
  put_fixed32(&bytes, checksum32(contents, std::string_view(&type, 1)));
  Status status = verify_block_trailer(bytes, "test");
  require_corruption_mentioning(status, "unknown block type 7");
  REQUIRE(verify_block_trailer(contents + make_block_trailer(contents), "test").is_ok());
}
