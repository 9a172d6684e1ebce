#include "net/wire.h"

#include <iterator>

#include <fmt/format.h>

#include "common/assert.h"
#include "net/error_table.h"

namespace pairdb::net {

namespace {

struct ErrorInfo {
  wire::ErrorCode code;
  std::string_view name;
  int http_status;
  RetryClass retry;
};

#define PAIRDB_ERROR_INFO(code, http, errc, retry) \
  ErrorInfo{wire::ErrorCode::code, #code, http, RetryClass::retry},
constexpr ErrorInfo kErrors[] = {PAIRDB_ERROR_CODES(PAIRDB_ERROR_INFO)};
#undef PAIRDB_ERROR_INFO

// The table lists every code of client.fbs, in enum order, so a code indexes its row.
static_assert(std::size(kErrors) == static_cast<size_t>(wire::ErrorCode::MAX) -
                                        static_cast<size_t>(wire::ErrorCode::MIN) + 1);
constexpr bool in_enum_order() {
  for (size_t i = 0; i < std::size(kErrors); ++i) {
    if (static_cast<size_t>(kErrors[i].code) != static_cast<size_t>(wire::ErrorCode::MIN) + i) {
      return false;
    }
  }
  return true;
}
static_assert(in_enum_order());

const ErrorInfo* find_error(wire::ErrorCode code) {
  const size_t index = static_cast<size_t>(code) - static_cast<size_t>(wire::ErrorCode::MIN);
  if (code < wire::ErrorCode::MIN || code > wire::ErrorCode::MAX) return nullptr;
  return &kErrors[index];
}

#define PAIRDB_STATUS_ROW(status, code) \
  case StatusCode::status:              \
    return wire::ErrorCode::code;
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch"  // A StatusCode the table leaves out fails the build.
wire::ErrorCode wire_code_of(StatusCode status) {
  switch (status) {
    PAIRDB_STATUS_ERROR_CODES(PAIRDB_STATUS_ROW)
    case StatusCode::kOk:
      break;
  }
  PAIRDB_ASSERT(false && "error_code_for(Status::ok())");
  return wire::ErrorCode::Internal;
}
#pragma GCC diagnostic pop
#undef PAIRDB_STATUS_ROW

std::string encode_finished(uint32_t stream_id, Opcode opcode, uint8_t flags,
                            const flatbuffers::FlatBufferBuilder& builder) {
  PAIRDB_ASSERT(builder.GetSize() > 0);
  FrameHeader header;
  header.flags = flags;
  header.opcode = opcode;
  header.stream_id = stream_id;
  return encode_frame(header,
                      std::span<const uint8_t>(builder.GetBufferPointer(), builder.GetSize()));
}

Status unknown_opcode(Opcode opcode) {
  return Status::invalid_argument(fmt::format("unknown opcode {}", static_cast<uint16_t>(opcode)));
}

}  // namespace

Status verify_request(Opcode opcode, std::span<const uint8_t> payload) {
#define PAIRDB_VERIFY_REQUEST(name, number, group) \
  case Opcode::k##name:                            \
    return verify_payload<wire::name##Request>(payload).status();
  switch (opcode) { PAIRDB_OPCODES(PAIRDB_VERIFY_REQUEST) }
#undef PAIRDB_VERIFY_REQUEST
  return unknown_opcode(opcode);
}

Status verify_response(Opcode opcode, std::span<const uint8_t> payload) {
#define PAIRDB_VERIFY_RESPONSE(name, number, group) \
  case Opcode::k##name:                             \
    return verify_payload<wire::name##Response>(payload).status();
  switch (opcode) { PAIRDB_OPCODES(PAIRDB_VERIFY_RESPONSE) }
#undef PAIRDB_VERIFY_RESPONSE
  return unknown_opcode(opcode);
}

std::optional<RequestRejection> check_request(const Frame& frame) {
  const FrameHeader& h = frame.header;
  if (h.is_response() || h.is_error()) {
    return RequestRejection{
        wire::ErrorCode::MalformedFrame,
        fmt::format("a request frame must not carry flags (got 0x{:02x})", h.flags)};
  }
  if (h.stream_id == kConnectionStreamId) {
    return RequestRejection{wire::ErrorCode::MalformedFrame,
                            "stream id 0 is reserved for connection-level errors"};
  }
  if (!is_known_opcode(static_cast<uint16_t>(h.opcode))) {
    return RequestRejection{wire::ErrorCode::UnknownOpcode,
                            fmt::format("unknown opcode {}", static_cast<uint16_t>(h.opcode))};
  }
  Status verified = verify_request(h.opcode, frame.payload_bytes());
  if (!verified.is_ok()) {
    return RequestRejection{wire::ErrorCode::MalformedFrame, std::string(verified.message())};
  }
  return std::nullopt;
}

std::string encode_request_frame(uint32_t stream_id, Opcode opcode,
                                 const flatbuffers::FlatBufferBuilder& builder) {
  return encode_finished(stream_id, opcode, 0, builder);
}

std::string encode_response_frame(uint32_t stream_id, Opcode opcode,
                                  const flatbuffers::FlatBufferBuilder& builder) {
  return encode_finished(stream_id, opcode, kFlagResponse, builder);
}

std::string encode_error_frame(uint32_t stream_id, Opcode opcode, wire::ErrorCode code,
                               std::string_view message, uint32_t required, uint32_t achieved) {
  if (message.size() > kErrorMessageBytesMax) message = message.substr(0, kErrorMessageBytesMax);
  flatbuffers::FlatBufferBuilder builder(128 + message.size());
  // Always written, even when equal to the schema default, so any reader sees the code.
  builder.ForceDefaults(true);
  const auto text = builder.CreateString(message.data(), message.size());
  builder.Finish(wire::CreateError(builder, code, text, required, achieved));
  return encode_finished(stream_id, opcode, kFlagResponse | kFlagError, builder);
}

std::string_view error_code_name(wire::ErrorCode code) {
  const ErrorInfo* info = find_error(code);
  return info != nullptr ? info->name : "Unknown";
}

std::optional<wire::ErrorCode> error_code_from_name(std::string_view name) {
  for (const ErrorInfo& info : kErrors) {
    if (info.name == name) return info.code;
  }
  return std::nullopt;
}

int http_status_for(wire::ErrorCode code) {
  const ErrorInfo* info = find_error(code);
  return info != nullptr ? info->http_status : 500;
}

RetryClass retry_class_of(wire::ErrorCode code) {
  const ErrorInfo* info = find_error(code);
  return info != nullptr ? info->retry : RetryClass::kUnknownOutcome;
}

bool is_retry_safe(wire::ErrorCode code) { return retry_class_of(code) == RetryClass::kRefused; }

wire::ErrorCode error_code_for(FrameError error) {
  PAIRDB_ASSERT(error != FrameError::kNone);
  switch (error) {
    case FrameError::kTooLarge:
      return wire::ErrorCode::TooLarge;
    case FrameError::kBadVersion:
      return wire::ErrorCode::UnsupportedVersion;
    case FrameError::kBadFlags:
    case FrameError::kNone:
      break;
  }
  return wire::ErrorCode::MalformedFrame;
}

wire::ErrorCode error_code_for(const Status& status) {
  PAIRDB_ASSERT(!status.is_ok());
  return wire_code_of(status.code());
}

wire::ErrorCode error_code_for(StatusCode code) {
  PAIRDB_ASSERT(code != StatusCode::kOk);
  return wire_code_of(code);
}

bool is_known(wire::Consistency consistency) {
  return consistency >= wire::Consistency::MIN && consistency <= wire::Consistency::MAX;
}

bool is_known(wire::ConflictMode mode) {
  return mode >= wire::ConflictMode::MIN && mode <= wire::ConflictMode::MAX;
}

bool is_known(wire::ReadRepair mode) {
  return mode >= wire::ReadRepair::MIN && mode <= wire::ReadRepair::MAX;
}

}  // namespace pairdb::net
