#include <catch2/catch.hpp>

#include <limits>

#include "common/coding.h"

using namespace pairdb;

TEST_CASE("varint64 round-trips every width and rejects truncation", "[coding]") {
  std::vector<uint64_t> values = {
      0, 1, 127, 128, 16383, 16384, (1ull << 35) - 1, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    std::string buf;
    put_varint64(&buf, v);
    REQUIRE(static_cast<int>(buf.size()) == varint_length(v));
    std::string_view in = buf;
    uint64_t out = 0;
    REQUIRE(get_varint64(&in, &out));
    REQUIRE(out == v);
    REQUIRE(in.empty());
    if (buf.size() > 1) {
      std::string_view truncated(buf.data(), buf.size() - 1);
      REQUIRE_FALSE(get_varint64(&truncated, &out));
    }
  }
}

TEST_CASE("varint32 rejects values wider than 32 bits", "[coding]") {
  std::string buf;
  put_varint64(&buf, uint64_t{1} << 40);
  std::string_view in = buf;
  uint32_t out = 0;
  REQUIRE_FALSE(get_varint32(&in, &out));
}

TEST_CASE("varint64 rejects an 11-byte overlong encoding", "[coding]") {
  std::string buf(10, '\xff');
  buf.push_back('\x01');
  std::string_view in = buf;
  uint64_t out = 0;
  REQUIRE_FALSE(get_varint64(&in, &out));
}

TEST_CASE("length-prefixed strings round-trip and reject short input", "[coding]") {
  std::string buf;
  put_length_prefixed(&buf, "hello");
  put_length_prefixed(&buf, "");
  std::string_view in = buf, a, b;
  REQUIRE(get_length_prefixed(&in, &a));
  REQUIRE(get_length_prefixed(&in, &b));
  REQUIRE(a == "hello");
  REQUIRE(b.empty());
  std::string short_buf;
  put_varint32(&short_buf, 10);
  short_buf += "abc";
  std::string_view s = short_buf;
  REQUIRE_FALSE(get_length_prefixed(&s, &a));
}
