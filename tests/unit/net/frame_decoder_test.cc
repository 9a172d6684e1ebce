#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/rng.h"
#include "net/frame.h"

using namespace pairdb;
using namespace pairdb::net;

namespace {

std::string make_frame(uint32_t stream_id, Opcode opcode, const std::string& payload,
                       uint8_t flags = 0) {
  FrameHeader h;
  h.flags = flags;
  h.opcode = opcode;
  h.stream_id = stream_id;
  return encode_frame(h, std::string_view(payload));
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> out;
  while (auto frame = decoder.next()) out.push_back(std::move(*frame));
  return out;
}

}  // namespace

TEST_CASE("decoder returns a frame fed one byte at a time, only once it is complete") {
  const std::string payload(300, 'x');
  const std::string bytes = make_frame(42, Opcode::kGet, payload);
  FrameDecoder decoder;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) {
    decoder.feed(std::string_view(&bytes[i], 1));
    REQUIRE_FALSE(decoder.next().has_value());
    REQUIRE_FALSE(decoder.has_error());
  }
  decoder.feed(std::string_view(&bytes.back(), 1));
  auto frame = decoder.next();
  REQUIRE(frame.has_value());
  CHECK(frame->header.stream_id == 42);
  CHECK(frame->header.opcode == Opcode::kGet);
  CHECK(frame->header.payload_length == payload.size());
  CHECK(frame->payload == payload);
  CHECK_FALSE(decoder.next().has_value());
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("decoder splits several frames that arrive in one chunk") {
  std::string chunk;
  chunk += make_frame(1, Opcode::kPut, "a");
  chunk += make_frame(2, Opcode::kPing, "");
  chunk += make_frame(3, Opcode::kQuery, std::string(70000, 'q'), kFlagResponse);
  chunk += make_frame(4, Opcode::kGet, "partial").substr(0, 15);  // Header + 3 payload bytes.
  FrameDecoder decoder;
  decoder.feed(chunk);
  const std::vector<Frame> frames = drain(decoder);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].header.stream_id == 1);
  CHECK(frames[0].payload == "a");
  CHECK(frames[1].header.stream_id == 2);
  CHECK(frames[1].payload.empty());
  CHECK(frames[2].header.stream_id == 3);
  CHECK(frames[2].header.is_response());
  CHECK(frames[2].payload.size() == 70000);
  CHECK_FALSE(decoder.has_error());
  CHECK(decoder.buffered_bytes() == 15);
}

TEST_CASE("decoder waits without error on a truncated header or payload") {
  const std::string bytes = make_frame(9, Opcode::kDelete, "payload");
  for (size_t cut : {size_t{0}, size_t{1}, size_t{11}, size_t{12}, bytes.size() - 1}) {
    FrameDecoder decoder;
    decoder.feed(std::string_view(bytes).substr(0, cut));
    INFO("cut at " << cut);
    CHECK_FALSE(decoder.next().has_value());
    CHECK_FALSE(decoder.has_error());
    CHECK(decoder.buffered_bytes() == cut);
  }
}

TEST_CASE("decoder reassembles frames from random chunk sizes") {
  Rng rng(7);
  std::string stream;
  std::vector<std::string> payloads;
  for (uint32_t i = 0; i < 200; ++i) {
    payloads.push_back(std::string(rng.uniform(5001), static_cast<char>('a' + i % 26)));
    stream += make_frame(i + 1, Opcode::kPut, payloads.back());
  }
  FrameDecoder decoder;
  std::vector<Frame> frames;
  for (size_t pos = 0; pos < stream.size();) {
    const size_t n = std::min<size_t>(1 + rng.uniform(9000), stream.size() - pos);
    decoder.feed(std::string_view(stream).substr(pos, n));
    pos += n;
    for (auto& f : drain(decoder)) frames.push_back(std::move(f));
  }
  REQUIRE(frames.size() == payloads.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].header.stream_id == i + 1);
    CHECK(frames[i].payload == payloads[i]);
  }
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("decoder reports a too-large frame as soon as the header arrives") {
  FrameHeader h;
  h.opcode = Opcode::kPut;
  h.stream_id = 77;
  h.payload_length = 1025;
  uint8_t header[kFrameHeaderBytes];
  encode_frame_header(h, header);
  FrameDecoder decoder(1024);
  decoder.feed(std::span<const uint8_t>(header, kFrameHeaderBytes));
  CHECK_FALSE(decoder.next().has_value());
  REQUIRE(decoder.has_error());
  CHECK(decoder.error() == FrameError::kTooLarge);
  CHECK(decoder.error_header().stream_id == 77);
  CHECK(decoder.error_status().message() == "frame of 1025 bytes exceeds the limit of 1024 bytes");
}

TEST_CASE("decoder keeps its error and ignores later input") {
  std::string bytes = make_frame(5, Opcode::kPing, "");
  bytes[4] = 7;  // Version.
  FrameDecoder decoder;
  decoder.feed(bytes);
  CHECK_FALSE(decoder.next().has_value());
  REQUIRE(decoder.error() == FrameError::kBadVersion);
  decoder.feed(make_frame(6, Opcode::kPing, ""));
  CHECK_FALSE(decoder.next().has_value());
  CHECK(decoder.error() == FrameError::kBadVersion);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("decoder delivers frames before a bad one, then the error") {
  std::string bytes = make_frame(1, Opcode::kPing, "ok");
  std::string bad = make_frame(2, Opcode::kPing, "");
  bad[5] = 0x40;  // Reserved flag bit.
  FrameDecoder decoder;
  decoder.feed(bytes + bad);
  auto first = decoder.next();
  REQUIRE(first.has_value());
  CHECK(first->payload == "ok");
  CHECK_FALSE(decoder.next().has_value());
  CHECK(decoder.error() == FrameError::kBadFlags);
  CHECK(decoder.error_header().stream_id == 2);
}

TEST_CASE("decoder frees consumed bytes on a long stream") {
  FrameDecoder decoder;
  const std::string frame = make_frame(1, Opcode::kPut, std::string(1000, 'v'));
  for (int i = 0; i < 1000; ++i) {
    decoder.feed(frame);
    decoder.feed(std::string_view(frame).substr(0, 100));  // Half a frame stays behind...
    REQUIRE(decoder.next().has_value());
    decoder.feed(std::string_view(frame).substr(100));  // ...and is completed here.
    REQUIRE(decoder.next().has_value());
    REQUIRE(decoder.buffered_bytes() == 0);
  }
}
