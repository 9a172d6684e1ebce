// Framing of the client binary protocol (described in src/net/PROTOCOL.md): every request,
// response and error is one frame, a fixed 12-byte big-endian header followed by a FlatBuffers
// payload. Sans-IO: these functions and FrameDecoder take and return bytes and own no sockets,
// so the Asio server, the blocking test client, the fuzzer and SDKs share them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <pairdb/status.h>

#include "net/opcode_table.h"

namespace pairdb::net {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 12;
// Bounds payload_length (the 12 header bytes are not counted).
inline constexpr uint32_t kDefaultMaxFrameBytes = 16u << 20;

// Header flag bits. A request carries no flags; a response carries kFlagResponse; an error
// response carries both. Every other bit is reserved and must be 0.
inline constexpr uint8_t kFlagResponse = 0x01;
inline constexpr uint8_t kFlagError = 0x02;
inline constexpr uint8_t kFlagsKnown = kFlagResponse | kFlagError;

// The stream id the server uses for connection-level errors that answer no particular request.
// Clients never use it for requests.
inline constexpr uint32_t kConnectionStreamId = 0;

#define PAIRDB_OPCODE_ENUMERATOR(name, number, group) k##name = number,
enum class Opcode : uint16_t { PAIRDB_OPCODES(PAIRDB_OPCODE_ENUMERATOR) };
#undef PAIRDB_OPCODE_ENUMERATOR

// Every opcode in ascending order, for tests, fuzzers and dispatch tables.
#define PAIRDB_OPCODE_ENTRY(name, number, group) Opcode::k##name,
inline constexpr Opcode kAllOpcodes[] = {PAIRDB_OPCODES(PAIRDB_OPCODE_ENTRY)};
#undef PAIRDB_OPCODE_ENTRY

// Where a request is served (net/opcode_table.h).
enum class OpcodeGroup : uint8_t { kConnection, kItems, kTables, kCluster, kAdmin };
// REQUIRES: is_known_opcode(opcode).
OpcodeGroup opcode_group(Opcode opcode);

bool is_known_opcode(uint16_t value);
// "Put", "CreateTable", ...; "Unknown" for a value outside the enum.
std::string_view opcode_name(Opcode opcode);

// The decoded fixed header. `opcode` may hold a value outside the enum: parse_frame_header
// accepts unknown opcodes so the connection can answer UnknownOpcode and carry on.
struct FrameHeader {
  uint32_t payload_length = 0;
  uint8_t version = kProtocolVersion;
  uint8_t flags = 0;
  Opcode opcode = Opcode::kPing;
  uint32_t stream_id = 0;

  bool is_response() const { return (flags & kFlagResponse) != 0; }
  bool is_error() const { return (flags & kFlagError) != 0; }
};

// Why a header was rejected. Each of these ends the connection: the peer sends an error frame
// (stream id and opcode of the offending header) and closes, because it cannot trust where the
// next frame starts. An unknown opcode is NOT a header error (see is_known_opcode).
enum class FrameError : uint8_t {
  kNone = 0,
  kTooLarge,    // payload_length > the receiver's limit; checked before any payload is read.
  kBadVersion,  // A protocol version this build does not speak.
  kBadFlags,    // A reserved flag bit is set, or the error flag without the response flag.
};

std::string_view frame_error_name(FrameError error);

// Outcome of parse_frame_header. header() is always the raw decoded header, even on error, so
// the receiver can answer with the offending stream id and opcode.
class [[nodiscard]] ParsedHeader {
 public:
  explicit ParsedHeader(const FrameHeader& header) : header_(header) {}
  ParsedHeader(const FrameHeader& header, FrameError error, Status status)
      : header_(header), error_(error), status_(std::move(status)) {}

  bool is_ok() const { return error_ == FrameError::kNone; }
  explicit operator bool() const { return is_ok(); }
  const FrameHeader& header() const { return header_; }
  FrameError error() const { return error_; }       // kNone when OK.
  const Status& status() const { return status_; }  // OK when OK; else explains the error.

 private:
  FrameHeader header_;
  FrameError error_ = FrameError::kNone;
  Status status_;
};

// Writes the 12-byte header. REQUIRES: no reserved flag bit is set.
void encode_frame_header(const FrameHeader& header, uint8_t out[kFrameHeaderBytes]);

// Header plus payload in one buffer. header.payload_length is ignored: the payload's size is
// written. REQUIRES: payload.size() <= UINT32_MAX; no reserved flag bit is set.
std::string encode_frame(const FrameHeader& header, std::span<const uint8_t> payload);
std::string encode_frame(const FrameHeader& header, std::string_view payload);

// Decodes the fields without validating them.
FrameHeader decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes);

// Decodes and validates a header: length against max_payload_bytes first (so an oversized
// frame is refused before its body is read), then version, then flags.
ParsedHeader parse_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes,
                                uint32_t max_payload_bytes);

// One complete frame. The payload lives in its own heap buffer (or the string's inline buffer),
// so it is 8-byte aligned as FlatBuffers verification requires.
struct Frame {
  FrameHeader header;
  std::string payload;

  std::span<const uint8_t> payload_bytes() const {
    return {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  }
};

// Incremental frame decoder: feed it bytes as they arrive in chunks of any size, then pop
// complete frames. Single-threaded. After a header error it keeps the error and ignores further
// input: the stream cannot be resynchronised.
// Invariant: buffered_bytes() never counts bytes of frames already returned by next().
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload_bytes = kDefaultMaxFrameBytes);

  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view bytes);

  // The next complete frame, or nullopt when more bytes are needed or has_error().
  std::optional<Frame> next();

  bool has_error() const { return error_ != FrameError::kNone; }
  FrameError error() const { return error_; }
  const Status& error_status() const { return error_status_; }
  // The rejected header. REQUIRES: has_error().
  const FrameHeader& error_header() const;

  // Bytes fed but not yet returned as frames (a partial frame, or frames not yet popped).
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  uint32_t max_payload_bytes() const { return max_payload_bytes_; }

 private:
  void compact();

  uint32_t max_payload_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // Prefix of buffer_ already returned as frames.
  FrameError error_ = FrameError::kNone;
  Status error_status_;
  FrameHeader error_header_;
};

}  // namespace pairdb::net
