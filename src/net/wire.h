// FlatBuffers payloads of the client protocol (src/net/schema/client.fbs): verification of
// untrusted payloads, error frames, and the names and HTTP statuses of error codes.
// Stateless functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <flatbuffers/flatbuffers.h>
#include <pairdb/status.h>

#include "net/frame.h"
#include "net/schema/client_generated.h"

namespace pairdb::net {

// Verifier bounds. Depth: the deepest legal payload nests five levels (CreateTableResponse →
// TableInfo → TableSpec → [DcReplication] → DcReplication); the margin costs nothing. Tables:
// a full 16 MiB Query page of tiny items stays well below this; the bound only stops a crafted
// payload from making verification revisit shared tables without end.
inline constexpr size_t kVerifierDepthMax = 16;
inline constexpr size_t kVerifierTablesMax = size_t{1} << 22;

// Error messages longer than this are cut when encoded, so an error frame stays small.
inline constexpr size_t kErrorMessageBytesMax = 4096;

// Runs flatbuffers::Verifier over `payload` as a buffer whose root is table T. After this
// succeeds every accessor of the returned table is safe to call. The payload needs no particular
// alignment. Status::corruption names the table on failure.
template <class T>
Result<const T*> verify_payload(std::span<const uint8_t> payload) {
  flatbuffers::Verifier::Options options;
  options.max_depth = kVerifierDepthMax;
  options.max_tables = kVerifierTablesMax;
  flatbuffers::Verifier verifier(payload.data(), payload.size(), options);
  if (!verifier.VerifyBuffer<T>(nullptr)) {
    return Status::corruption(std::string("malformed ") + T::GetFullyQualifiedName() +
                              " payload of " + std::to_string(payload.size()) + " bytes");
  }
  return flatbuffers::GetRoot<T>(payload.data());
}

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Verifies `payload` as the request (resp. response) table of `opcode`.
// Status::invalid_argument for an unknown opcode; Status::corruption for a bad payload.
Status verify_request(Opcode opcode, std::span<const uint8_t> payload);
Status verify_response(Opcode opcode, std::span<const uint8_t> payload);

// Why a server refuses a request frame whose header parsed. The connection continues: the
// server answers encode_error_frame(stream id, opcode, code, message) and reads on.
struct RequestRejection {
  wire::ErrorCode code;
  std::string message;
};

// The per-request checks a server makes before dispatching, in order: the response or error
// flag set, or stream id 0 (MalformedFrame); an unknown opcode (UnknownOpcode); a payload that
// fails verification as the opcode's request table (MalformedFrame). nullopt when the request
// may be dispatched; flatbuffers::GetRoot<RequestTable>(payload) is then safe to read.
std::optional<RequestRejection> check_request(const Frame& frame);

// A frame whose payload is the finished buffer of `builder`.
// REQUIRES: builder.Finish() was called.
std::string encode_request_frame(uint32_t stream_id, Opcode opcode,
                                 const flatbuffers::FlatBufferBuilder& builder);
std::string encode_response_frame(uint32_t stream_id, Opcode opcode,
                                  const flatbuffers::FlatBufferBuilder& builder);

// A response frame with the error flag and an Error payload. `opcode` may be a value outside the
// enum (echoing an unknown opcode). The message is cut to kErrorMessageBytesMax bytes.
std::string encode_error_frame(uint32_t stream_id, Opcode opcode, wire::ErrorCode code,
                               std::string_view message, uint32_t required = 0,
                               uint32_t achieved = 0);

// "InvalidArgument", "TableNotFound", ...; "Unknown" for a value outside the enum.
std::string_view error_code_name(wire::ErrorCode code);
std::optional<wire::ErrorCode> error_code_from_name(std::string_view name);

// The HTTP status the HTTP API uses for the same condition (400, 404, 413, 503, ...).
int http_status_for(wire::ErrorCode code);

// True when resending the identical request cannot apply a write twice: the server refused it
// before doing anything (Overloaded, Unavailable, ShuttingDown). Timeout and Internal leave a
// write's outcome unknown; a retry is safe only with an idempotency key (see PROTOCOL.md).
bool is_retry_safe(wire::ErrorCode code);

// The error code a header error is answered with before the connection is closed.
// REQUIRES: error != FrameError::kNone.
wire::ErrorCode error_code_for(FrameError error);

// The error code for a Status produced by a pairdb module: InvalidArgument, NotFound,
// Timeout, Unavailable and Busy (as Overloaded) map one to one; everything else is Internal.
wire::ErrorCode error_code_for(const Status& status);

// False for a value outside the enum (an old server reading a newer client's request).
bool is_known(wire::Consistency consistency);
bool is_known(wire::ConflictMode mode);

}  // namespace pairdb::net
