// FlatBuffers payloads of the client protocol (src/net/schema/client.fbs): verification of
// untrusted payloads, error frames, and what each error code means (from net/error_table.h).
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

// How safe it is to resend a request that failed with an error code (net/error_table.h).
enum class RetryClass : uint8_t {
  kNever,           // Resending gets the same answer.
  kRefused,         // Refused before anything was done: always safe to resend.
  kUnknownOutcome,  // A write may have been applied: safe for reads and idempotent writes.
};

// Each function below reads the error table (net/error_table.h).
// "InvalidArgument", "TableNotFound", ...; "Unknown" for a value outside the enum.
std::string_view error_code_name(wire::ErrorCode code);
std::optional<wire::ErrorCode> error_code_from_name(std::string_view name);

// The HTTP status the HTTP API uses for the same condition (400, 404, 409, 413, 503, ...);
// 500 for a value outside the enum.
int http_status_for(wire::ErrorCode code);

// kUnknownOutcome for a value outside the enum (the SDK's reading of an unknown code).
RetryClass retry_class_of(wire::ErrorCode code);
// True when resending the identical request cannot apply a write twice: the server refused it
// before doing anything (Overloaded, Unavailable, ShuttingDown). Timeout and Internal leave a
// write's outcome unknown; a retry is safe only with an idempotency key (see PROTOCOL.md).
bool is_retry_safe(wire::ErrorCode code);

// The error code a header error is answered with before the connection is closed.
// REQUIRES: error != FrameError::kNone.
wire::ErrorCode error_code_for(FrameError error);

// The error code a Status produced by a pairdb module is answered with.
// REQUIRES: !status.is_ok() (code != StatusCode::kOk).
wire::ErrorCode error_code_for(const Status& status);
wire::ErrorCode error_code_for(StatusCode code);

// False for a value outside the enum (an old server reading a newer client's request).
bool is_known(wire::Consistency consistency);
bool is_known(wire::ConflictMode mode);
bool is_known(wire::ReadRepair mode);

}  // namespace pairdb::net
