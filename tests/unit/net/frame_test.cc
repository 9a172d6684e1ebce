#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "net/frame.h"

using namespace pairdb;
using namespace pairdb::net;

namespace {

using HeaderBytes = std::array<uint8_t, kFrameHeaderBytes>;

HeaderBytes encode(const FrameHeader& h) {
  HeaderBytes out{};
  encode_frame_header(h, out.data());
  return out;
}

ParsedHeader parse(const HeaderBytes& bytes, uint32_t max = kDefaultMaxFrameBytes) {
  return parse_frame_header(std::span<const uint8_t, kFrameHeaderBytes>(bytes), max);
}

FrameHeader sample_header() {
  FrameHeader h;
  h.payload_length = 0x01020304;
  h.version = kProtocolVersion;
  h.flags = kFlagResponse | kFlagError;
  h.opcode = Opcode::kCreateTable;
  h.stream_id = 0xA1B2C3D4;
  return h;
}

}  // namespace

TEST_CASE("frame header is 12 big-endian bytes in the documented order") {
  const HeaderBytes bytes = encode(sample_header());
  const HeaderBytes expected = {0x01, 0x02, 0x03, 0x04,   // payload_length
                                0x01,                     // version
                                0x03,                     // flags
                                0x00, 0x14,               // opcode 20 = CreateTable
                                0xA1, 0xB2, 0xC3, 0xD4};  // stream_id
  CHECK(bytes == expected);
}

TEST_CASE("frame header round-trips through parse_frame_header") {
  const FrameHeader h = sample_header();
  const ParsedHeader parsed = parse(encode(h), UINT32_MAX);
  REQUIRE(parsed.is_ok());
  CHECK(parsed.status().is_ok());
  CHECK(parsed.header().payload_length == h.payload_length);
  CHECK(parsed.header().version == h.version);
  CHECK(parsed.header().flags == h.flags);
  CHECK(parsed.header().opcode == h.opcode);
  CHECK(parsed.header().stream_id == h.stream_id);
  CHECK(parsed.header().is_response());
  CHECK(parsed.header().is_error());
}

TEST_CASE("a frame longer than the limit is refused from its header alone") {
  FrameHeader h = sample_header();
  h.flags = 0;
  h.payload_length = kDefaultMaxFrameBytes + 1;
  const ParsedHeader parsed = parse(encode(h));
  REQUIRE_FALSE(parsed.is_ok());
  CHECK(parsed.error() == FrameError::kTooLarge);
  CHECK(parsed.status().message() == "frame of 16777217 bytes exceeds the limit of 16777216 bytes");
  // The raw header survives so the error frame can echo the stream id.
  CHECK(parsed.header().stream_id == h.stream_id);
  CHECK(parsed.header().opcode == h.opcode);
}

TEST_CASE("a frame exactly at the limit is accepted") {
  FrameHeader h = sample_header();
  h.flags = 0;
  h.payload_length = 100;
  CHECK(parse(encode(h), 100).is_ok());
  CHECK(parse(encode(h), 99).error() == FrameError::kTooLarge);
}

TEST_CASE("an unknown protocol version is refused") {
  FrameHeader h = sample_header();
  h.payload_length = 10;
  h.version = 2;
  const ParsedHeader parsed = parse(encode(h));
  CHECK(parsed.error() == FrameError::kBadVersion);
  CHECK(parsed.header().version == 2);
  h.version = 0;
  CHECK(parse(encode(h)).error() == FrameError::kBadVersion);
}

TEST_CASE("the size limit is checked before the version") {
  FrameHeader h = sample_header();
  h.version = 9;
  h.payload_length = 1000;
  CHECK(parse(encode(h), 999).error() == FrameError::kTooLarge);
}

TEST_CASE("reserved flag bits and an error flag without the response flag are refused") {
  FrameHeader h = sample_header();
  h.payload_length = 0;
  HeaderBytes bytes = encode(h);
  for (uint8_t flags : {0x04, 0x80, 0xFF, 0x02}) {
    bytes[5] = flags;
    const ParsedHeader parsed = parse(bytes);
    INFO("flags " << int(flags));
    CHECK(parsed.error() == FrameError::kBadFlags);
  }
  for (uint8_t flags : {0x00, 0x01, 0x03}) {
    bytes[5] = flags;
    CHECK(parse(bytes).is_ok());
  }
}

TEST_CASE("an unknown opcode is not a header error") {
  HeaderBytes bytes = encode(sample_header());
  bytes[0] = bytes[1] = bytes[2] = bytes[3] = 0;
  bytes[6] = 0x12;
  bytes[7] = 0x34;
  const ParsedHeader parsed = parse(bytes);
  REQUIRE(parsed.is_ok());
  CHECK(static_cast<uint16_t>(parsed.header().opcode) == 0x1234);
  CHECK_FALSE(is_known_opcode(0x1234));
  CHECK(opcode_name(parsed.header().opcode) == "Unknown");
}

TEST_CASE("every opcode is known, named and numbered as documented") {
  CHECK(std::size(kAllOpcodes) == 25);
  for (Opcode op : kAllOpcodes) {
    CHECK(is_known_opcode(static_cast<uint16_t>(op)));
    CHECK(opcode_name(op) != "Unknown");
  }
  CHECK_FALSE(is_known_opcode(0));
  CHECK_FALSE(is_known_opcode(3));
  CHECK(static_cast<uint16_t>(Opcode::kHello) == 1);
  CHECK(static_cast<uint16_t>(Opcode::kQuery) == 13);
  CHECK(static_cast<uint16_t>(Opcode::kTopology) == 30);
  CHECK(static_cast<uint16_t>(Opcode::kCompact) == 44);
  CHECK(static_cast<uint16_t>(Opcode::kGetEndpoints) == 31);
  CHECK(static_cast<uint16_t>(Opcode::kDescribeCluster) == 32);
  CHECK(static_cast<uint16_t>(Opcode::kGetReplicas) == 33);
  CHECK(static_cast<uint16_t>(Opcode::kGossipInfo) == 45);
  CHECK(static_cast<uint16_t>(Opcode::kHandoffStatus) == 46);
  CHECK(static_cast<uint16_t>(Opcode::kHandoffControl) == 47);
  CHECK(static_cast<uint16_t>(Opcode::kRepairRun) == 48);
  CHECK(static_cast<uint16_t>(Opcode::kRepairStatus) == 49);
  CHECK(static_cast<uint16_t>(Opcode::kSchemaPull) == 60);
  CHECK(opcode_name(Opcode::kSchemaPull) == "SchemaPull");
  CHECK(opcode_name(Opcode::kDescribeTable) == "DescribeTable");
}

TEST_CASE("encode_frame writes the payload's length and appends the payload") {
  FrameHeader h;
  h.opcode = Opcode::kPut;
  h.stream_id = 7;
  h.payload_length = 999;  // Ignored.
  const std::string frame = encode_frame(h, std::string_view("hello"));
  REQUIRE(frame.size() == kFrameHeaderBytes + 5);
  CHECK(frame.substr(kFrameHeaderBytes) == "hello");
  const auto* p = reinterpret_cast<const uint8_t*>(frame.data());
  const FrameHeader decoded =
      decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes>(p, kFrameHeaderBytes));
  CHECK(decoded.payload_length == 5);
  CHECK(decoded.stream_id == 7);
  CHECK(decoded.opcode == Opcode::kPut);
  CHECK(encode_frame(h, std::string_view()).size() == kFrameHeaderBytes);
}
