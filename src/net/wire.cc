#include "net/wire.h"

#include <iterator>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::net {

namespace {

// Every error code, for name lookups; kept in enum order.
constexpr wire::ErrorCode kAllErrorCodes[] = {
    wire::ErrorCode::InvalidArgument, wire::ErrorCode::NotFound,
    wire::ErrorCode::TableNotFound,   wire::ErrorCode::TooLarge,
    wire::ErrorCode::Unavailable,     wire::ErrorCode::Timeout,
    wire::ErrorCode::Overloaded,      wire::ErrorCode::Unauthorized,
    wire::ErrorCode::Internal,        wire::ErrorCode::UnsupportedVersion,
    wire::ErrorCode::UnknownOpcode,   wire::ErrorCode::MalformedFrame,
    wire::ErrorCode::TableExists,     wire::ErrorCode::ShuttingDown,
};
static_assert(std::size(kAllErrorCodes) == static_cast<size_t>(wire::ErrorCode::MAX) -
                                               static_cast<size_t>(wire::ErrorCode::MIN) + 1);

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
  switch (opcode) {
    case Opcode::kHello:
      return verify_payload<wire::HelloRequest>(payload).status();
    case Opcode::kPing:
      return verify_payload<wire::PingRequest>(payload).status();
    case Opcode::kPut:
      return verify_payload<wire::PutRequest>(payload).status();
    case Opcode::kGet:
      return verify_payload<wire::GetRequest>(payload).status();
    case Opcode::kDelete:
      return verify_payload<wire::DeleteRequest>(payload).status();
    case Opcode::kQuery:
      return verify_payload<wire::QueryRequest>(payload).status();
    case Opcode::kCreateTable:
      return verify_payload<wire::CreateTableRequest>(payload).status();
    case Opcode::kDropTable:
      return verify_payload<wire::DropTableRequest>(payload).status();
    case Opcode::kListTables:
      return verify_payload<wire::ListTablesRequest>(payload).status();
    case Opcode::kDescribeTable:
      return verify_payload<wire::DescribeTableRequest>(payload).status();
    case Opcode::kTopology:
      return verify_payload<wire::TopologyRequest>(payload).status();
    case Opcode::kGetEndpoints:
      return verify_payload<wire::GetEndpointsRequest>(payload).status();
    case Opcode::kDescribeCluster:
      return verify_payload<wire::DescribeClusterRequest>(payload).status();
    case Opcode::kStatus:
      return verify_payload<wire::StatusRequest>(payload).status();
    case Opcode::kInfo:
      return verify_payload<wire::InfoRequest>(payload).status();
    case Opcode::kTableStats:
      return verify_payload<wire::TableStatsRequest>(payload).status();
    case Opcode::kFlush:
      return verify_payload<wire::FlushRequest>(payload).status();
    case Opcode::kCompact:
      return verify_payload<wire::CompactRequest>(payload).status();
    case Opcode::kGossipInfo:
      return verify_payload<wire::GossipInfoRequest>(payload).status();
    case Opcode::kSchemaPull:
      return verify_payload<wire::SchemaPullRequest>(payload).status();
  }
  return unknown_opcode(opcode);
}

Status verify_response(Opcode opcode, std::span<const uint8_t> payload) {
  switch (opcode) {
    case Opcode::kHello:
      return verify_payload<wire::HelloResponse>(payload).status();
    case Opcode::kPing:
      return verify_payload<wire::PingResponse>(payload).status();
    case Opcode::kPut:
      return verify_payload<wire::PutResponse>(payload).status();
    case Opcode::kGet:
      return verify_payload<wire::GetResponse>(payload).status();
    case Opcode::kDelete:
      return verify_payload<wire::DeleteResponse>(payload).status();
    case Opcode::kQuery:
      return verify_payload<wire::QueryResponse>(payload).status();
    case Opcode::kCreateTable:
      return verify_payload<wire::CreateTableResponse>(payload).status();
    case Opcode::kDropTable:
      return verify_payload<wire::DropTableResponse>(payload).status();
    case Opcode::kListTables:
      return verify_payload<wire::ListTablesResponse>(payload).status();
    case Opcode::kDescribeTable:
      return verify_payload<wire::DescribeTableResponse>(payload).status();
    case Opcode::kTopology:
      return verify_payload<wire::TopologyResponse>(payload).status();
    case Opcode::kGetEndpoints:
      return verify_payload<wire::GetEndpointsResponse>(payload).status();
    case Opcode::kDescribeCluster:
      return verify_payload<wire::DescribeClusterResponse>(payload).status();
    case Opcode::kStatus:
      return verify_payload<wire::StatusResponse>(payload).status();
    case Opcode::kInfo:
      return verify_payload<wire::InfoResponse>(payload).status();
    case Opcode::kTableStats:
      return verify_payload<wire::TableStatsResponse>(payload).status();
    case Opcode::kFlush:
      return verify_payload<wire::FlushResponse>(payload).status();
    case Opcode::kCompact:
      return verify_payload<wire::CompactResponse>(payload).status();
    case Opcode::kGossipInfo:
      return verify_payload<wire::GossipInfoResponse>(payload).status();
    case Opcode::kSchemaPull:
      return verify_payload<wire::SchemaPullResponse>(payload).status();
  }
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
  switch (code) {
    case wire::ErrorCode::InvalidArgument:
      return "InvalidArgument";
    case wire::ErrorCode::NotFound:
      return "NotFound";
    case wire::ErrorCode::TableNotFound:
      return "TableNotFound";
    case wire::ErrorCode::TooLarge:
      return "TooLarge";
    case wire::ErrorCode::Unavailable:
      return "Unavailable";
    case wire::ErrorCode::Timeout:
      return "Timeout";
    case wire::ErrorCode::Overloaded:
      return "Overloaded";
    case wire::ErrorCode::Unauthorized:
      return "Unauthorized";
    case wire::ErrorCode::Internal:
      return "Internal";
    case wire::ErrorCode::UnsupportedVersion:
      return "UnsupportedVersion";
    case wire::ErrorCode::UnknownOpcode:
      return "UnknownOpcode";
    case wire::ErrorCode::MalformedFrame:
      return "MalformedFrame";
    case wire::ErrorCode::TableExists:
      return "TableExists";
    case wire::ErrorCode::ShuttingDown:
      return "ShuttingDown";
  }
  return "Unknown";
}

std::optional<wire::ErrorCode> error_code_from_name(std::string_view name) {
  for (wire::ErrorCode code : kAllErrorCodes) {
    if (error_code_name(code) == name) return code;
  }
  return std::nullopt;
}

int http_status_for(wire::ErrorCode code) {
  switch (code) {
    case wire::ErrorCode::InvalidArgument:
    case wire::ErrorCode::UnsupportedVersion:
    case wire::ErrorCode::UnknownOpcode:
    case wire::ErrorCode::MalformedFrame:
      return 400;
    case wire::ErrorCode::Unauthorized:
      return 401;
    case wire::ErrorCode::NotFound:
    case wire::ErrorCode::TableNotFound:
      return 404;
    case wire::ErrorCode::TableExists:
      return 409;
    case wire::ErrorCode::TooLarge:
      return 413;
    case wire::ErrorCode::Overloaded:
      return 429;
    case wire::ErrorCode::Internal:
      return 500;
    case wire::ErrorCode::Unavailable:
    case wire::ErrorCode::ShuttingDown:
      return 503;
    case wire::ErrorCode::Timeout:
      return 504;
  }
  return 500;
}

bool is_retry_safe(wire::ErrorCode code) {
  return code == wire::ErrorCode::Overloaded || code == wire::ErrorCode::Unavailable ||
         code == wire::ErrorCode::ShuttingDown;
}

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
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return wire::ErrorCode::InvalidArgument;
    case StatusCode::kNotFound:
      return wire::ErrorCode::NotFound;
    case StatusCode::kTimeout:
      return wire::ErrorCode::Timeout;
    case StatusCode::kUnavailable:
      return wire::ErrorCode::Unavailable;
    case StatusCode::kBusy:
      return wire::ErrorCode::Overloaded;
    default:
      return wire::ErrorCode::Internal;
  }
}

bool is_known(wire::Consistency consistency) {
  return consistency >= wire::Consistency::MIN && consistency <= wire::Consistency::MAX;
}

bool is_known(wire::ConflictMode mode) {
  return mode >= wire::ConflictMode::MIN && mode <= wire::ConflictMode::MAX;
}

}  // namespace pairdb::net
