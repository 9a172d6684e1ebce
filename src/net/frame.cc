#include "net/frame.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::net {

namespace {

// Byte offsets inside the header.
constexpr size_t kLengthOffset = 0;
constexpr size_t kVersionOffset = 4;
constexpr size_t kFlagsOffset = 5;
constexpr size_t kOpcodeOffset = 6;
constexpr size_t kStreamIdOffset = 8;
static_assert(kStreamIdOffset + 4 == kFrameHeaderBytes);

// The decoder drops its consumed prefix once it is this large, so a long-lived connection does
// not keep every byte it ever received, yet small frames do not cause a memmove each.
constexpr size_t kCompactThresholdBytes = 64 * 1024;

void put_be16(uint8_t* out, uint16_t v) {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}

void put_be32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}

uint16_t get_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint32_t get_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool flags_valid(uint8_t flags) {
  if ((flags & ~kFlagsKnown) != 0) return false;
  // An error is always a response.
  return (flags & kFlagError) == 0 || (flags & kFlagResponse) != 0;
}

}  // namespace

bool is_known_opcode(uint16_t value) {
#define PAIRDB_OPCODE_CASE(name, number, group) case number:
  switch (value) {
    PAIRDB_OPCODES(PAIRDB_OPCODE_CASE)
    return true;
  }
#undef PAIRDB_OPCODE_CASE
  return false;
}

std::string_view opcode_name(Opcode opcode) {
#define PAIRDB_OPCODE_NAME(name, number, group) \
  case Opcode::k##name:                         \
    return #name;
  switch (opcode) { PAIRDB_OPCODES(PAIRDB_OPCODE_NAME) }
#undef PAIRDB_OPCODE_NAME
  return "Unknown";
}

OpcodeGroup opcode_group(Opcode opcode) {
#define PAIRDB_OPCODE_GROUP(name, number, group) \
  case Opcode::k##name:                          \
    return OpcodeGroup::group;
  switch (opcode) { PAIRDB_OPCODES(PAIRDB_OPCODE_GROUP) }
#undef PAIRDB_OPCODE_GROUP
  PAIRDB_ASSERT(false && "opcode_group of an unknown opcode");
  return OpcodeGroup::kAdmin;
}

std::string_view frame_error_name(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "None";
    case FrameError::kTooLarge:
      return "TooLarge";
    case FrameError::kBadVersion:
      return "BadVersion";
    case FrameError::kBadFlags:
      return "BadFlags";
  }
  return "Unknown";
}

void encode_frame_header(const FrameHeader& header, uint8_t out[kFrameHeaderBytes]) {
  PAIRDB_ASSERT(flags_valid(header.flags));
  put_be32(out + kLengthOffset, header.payload_length);
  out[kVersionOffset] = header.version;
  out[kFlagsOffset] = header.flags;
  put_be16(out + kOpcodeOffset, static_cast<uint16_t>(header.opcode));
  put_be32(out + kStreamIdOffset, header.stream_id);
}

std::string encode_frame(const FrameHeader& header, std::span<const uint8_t> payload) {
  PAIRDB_ASSERT(payload.size() <= std::numeric_limits<uint32_t>::max());
  FrameHeader h = header;
  h.payload_length = static_cast<uint32_t>(payload.size());
  std::string out(kFrameHeaderBytes + payload.size(), '\0');
  encode_frame_header(h, reinterpret_cast<uint8_t*>(out.data()));
  if (!payload.empty()) {
    std::copy(payload.begin(), payload.end(), out.begin() + kFrameHeaderBytes);
  }
  PAIRDB_DASSERT(get_be32(reinterpret_cast<const uint8_t*>(out.data())) == payload.size());
  return out;
}

std::string encode_frame(const FrameHeader& header, std::string_view payload) {
  return encode_frame(
      header,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
}

FrameHeader decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes) {
  const uint8_t* p = bytes.data();
  FrameHeader h;
  h.payload_length = get_be32(p + kLengthOffset);
  h.version = p[kVersionOffset];
  h.flags = p[kFlagsOffset];
  h.opcode = static_cast<Opcode>(get_be16(p + kOpcodeOffset));
  h.stream_id = get_be32(p + kStreamIdOffset);
  return h;
}

ParsedHeader parse_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes,
                                uint32_t max_payload_bytes) {
  const FrameHeader h = decode_frame_header(bytes);
  if (h.payload_length > max_payload_bytes) {
    return ParsedHeader(
        h, FrameError::kTooLarge,
        Status::invalid_argument(fmt::format("frame of {} bytes exceeds the limit of {} bytes",
                                             h.payload_length, max_payload_bytes)));
  }
  if (h.version != kProtocolVersion) {
    return ParsedHeader(
        h, FrameError::kBadVersion,
        Status::not_supported(fmt::format("unsupported protocol version {} (this node speaks {})",
                                          h.version, kProtocolVersion)));
  }
  if (!flags_valid(h.flags)) {
    return ParsedHeader(h, FrameError::kBadFlags,
                        Status::corruption(fmt::format("invalid frame flags 0x{:02x}", h.flags)));
  }
  return ParsedHeader(h);
}

FrameDecoder::FrameDecoder(uint32_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

void FrameDecoder::feed(std::span<const uint8_t> bytes) {
  if (has_error() || bytes.empty()) return;
  compact();
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void FrameDecoder::feed(std::string_view bytes) {
  feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

std::optional<Frame> FrameDecoder::next() {
  if (has_error() || buffered_bytes() < kFrameHeaderBytes) return std::nullopt;
  const auto* start = reinterpret_cast<const uint8_t*>(buffer_.data()) + consumed_;
  ParsedHeader parsed = parse_frame_header(
      std::span<const uint8_t, kFrameHeaderBytes>(start, kFrameHeaderBytes), max_payload_bytes_);
  if (!parsed) {
    error_ = parsed.error();
    error_status_ = parsed.status();
    error_header_ = parsed.header();
    buffer_.clear();
    consumed_ = 0;
    return std::nullopt;
  }
  const size_t frame_bytes = kFrameHeaderBytes + size_t{parsed.header().payload_length};
  if (buffered_bytes() < frame_bytes) return std::nullopt;
  Frame frame;
  frame.header = parsed.header();
  frame.payload.assign(buffer_.data() + consumed_ + kFrameHeaderBytes,
                       parsed.header().payload_length);
  consumed_ += frame_bytes;
  PAIRDB_ASSERT(consumed_ <= buffer_.size());
  return frame;
}

const FrameHeader& FrameDecoder::error_header() const {
  PAIRDB_ASSERT(has_error());
  return error_header_;
}

void FrameDecoder::compact() {
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ >= kCompactThresholdBytes) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

}  // namespace pairdb::net
