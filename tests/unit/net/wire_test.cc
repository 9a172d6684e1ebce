#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/frame.h"
#include "net/wire.h"

using namespace pairdb;
using namespace pairdb::net;

namespace {

std::string finished(const flatbuffers::FlatBufferBuilder& fbb) {
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

std::string sample_put_request() {
  flatbuffers::FlatBufferBuilder fbb;
  const auto table = fbb.CreateString("orders");
  const auto pk = fbb.CreateVector(std::vector<uint8_t>{'c', 'u', 's', 't', '1'});
  const auto sk = fbb.CreateVector(std::vector<uint8_t>{'2', '0', '2', '4'});
  const auto value = fbb.CreateVector(std::vector<uint8_t>(200, 'v'));
  const auto type = fbb.CreateString("application/json");
  const auto ctx = fbb.CreateVector(std::vector<uint8_t>{1, 2, 3});
  const auto key = fbb.CreateString("idem-1");
  fbb.Finish(wire::CreatePutRequest(fbb, table, pk, sk, value, type, ctx, wire::Consistency::Quorum,
                                    60000, key, 250));
  return finished(fbb);
}

// A copy of `bytes` starting at an address that is 4 but not 8 bytes aligned, as it would be if
// the payload were read together with its 12-byte header.
struct Misaligned {
  explicit Misaligned(const std::string& bytes) : storage(bytes.size() + 16) {
    const auto addr = reinterpret_cast<uintptr_t>(storage.data());
    offset = ((addr + 7) & ~uintptr_t{7}) - addr + 4;
    std::copy(bytes.begin(), bytes.end(), storage.begin() + offset);
    size = bytes.size();
  }
  std::span<const uint8_t> span() const { return {storage.data() + offset, size}; }
  std::vector<uint8_t> storage;
  size_t offset;
  size_t size;
};

}  // namespace

TEST_CASE("verify_payload accepts a well-formed request and exposes its fields") {
  const std::string bytes = sample_put_request();
  auto put = verify_payload<wire::PutRequest>(as_bytes(bytes));
  REQUIRE(put.is_ok());
  const wire::PutRequest* p = *put;
  CHECK(p->table()->str() == "orders");
  CHECK(p->value()->size() == 200);
  CHECK(p->consistency() == wire::Consistency::Quorum);
  CHECK(p->ttl_ms() == 60000);
  CHECK(p->timeout_ms() == 250);
  CHECK(verify_request(Opcode::kPut, as_bytes(bytes)).is_ok());
}

TEST_CASE("verify_payload works on a payload that is only 4-byte aligned") {
  const Misaligned copy(sample_put_request());
  auto put = verify_payload<wire::PutRequest>(copy.span());
  REQUIRE(put.is_ok());
  CHECK((*put)->ttl_ms() == 60000);  // A 64-bit field read from an unaligned address.
}

TEST_CASE("verify_payload rejects garbage") {
  const std::vector<std::string> garbage = {
      "",
      "x",
      "not a flatbuffer at all, just text",
      std::string(64, '\xff'),
      std::string("\x08\x00\x00\x00\xff\xff\xff\x7f", 8),  // Root table, vtable far away.
  };
  for (const std::string& g : garbage) {
    INFO("garbage of " << g.size() << " bytes");
    CHECK(verify_payload<wire::PutRequest>(as_bytes(g)).status().is_corruption());
    CHECK(verify_payload<wire::GetResponse>(as_bytes(g)).status().is_corruption());
    CHECK(verify_request(Opcode::kQuery, as_bytes(g)).is_corruption());
  }
}

TEST_CASE("verify_payload rejects a buffer truncated in the middle") {
  const std::string bytes = sample_put_request();
  for (size_t cut : {size_t{4}, bytes.size() / 4, bytes.size() / 2, bytes.size() * 3 / 4}) {
    INFO("cut at " << cut << " of " << bytes.size());
    const std::string_view prefix = std::string_view(bytes).substr(0, cut);
    const auto result = verify_payload<wire::PutRequest>(as_bytes(prefix));
    REQUIRE_FALSE(result.is_ok());
    CHECK(result.status().message().find("pairdb.wire.PutRequest") != std::string_view::npos);
  }
}

TEST_CASE("verify_request and verify_response refuse an unknown opcode") {
  const std::string bytes = sample_put_request();
  CHECK(verify_request(static_cast<Opcode>(999), as_bytes(bytes)).is_invalid_argument());
  CHECK(verify_response(static_cast<Opcode>(0), as_bytes(bytes)).is_invalid_argument());
}

TEST_CASE("every opcode's empty request and response tables verify") {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(wire::CreatePingRequest(fbb));
  const std::string empty_table = finished(fbb);
  for (Opcode op : kAllOpcodes) {
    INFO(opcode_name(op));
    CHECK(verify_request(op, as_bytes(empty_table)).is_ok());
    CHECK(verify_response(op, as_bytes(empty_table)).is_ok());
  }
}

TEST_CASE("an error frame decodes back to its code, message and replica counts") {
  const std::string frame = encode_error_frame(17, Opcode::kPut, wire::ErrorCode::Unavailable,
                                               "need 2 replicas, 1 alive", 2, 1);
  FrameDecoder decoder;
  decoder.feed(frame);
  auto decoded = decoder.next();
  REQUIRE(decoded.has_value());
  CHECK(decoded->header.stream_id == 17);
  CHECK(decoded->header.opcode == Opcode::kPut);
  CHECK(decoded->header.is_response());
  CHECK(decoded->header.is_error());
  auto error = verify_payload<wire::Error>(decoded->payload_bytes());
  REQUIRE(error.is_ok());
  CHECK((*error)->code() == wire::ErrorCode::Unavailable);
  CHECK((*error)->message()->str() == "need 2 replicas, 1 alive");
  CHECK((*error)->required() == 2);
  CHECK((*error)->achieved() == 1);
}

TEST_CASE("an error frame echoes an unknown opcode and cuts a long message") {
  const std::string long_message(kErrorMessageBytesMax + 500, 'm');
  const std::string frame = encode_error_frame(kConnectionStreamId, static_cast<Opcode>(0xBEEF),
                                               wire::ErrorCode::Internal, long_message);
  FrameDecoder decoder;
  decoder.feed(frame);
  auto decoded = decoder.next();
  REQUIRE(decoded.has_value());
  CHECK(static_cast<uint16_t>(decoded->header.opcode) == 0xBEEF);
  CHECK(decoded->header.stream_id == kConnectionStreamId);
  auto error = verify_payload<wire::Error>(decoded->payload_bytes());
  REQUIRE(error.is_ok());
  CHECK((*error)->code() == wire::ErrorCode::Internal);
  CHECK((*error)->message()->size() == kErrorMessageBytesMax);
}

TEST_CASE("error code names round-trip") {
  for (auto code : wire::EnumValuesErrorCode()) {
    INFO(static_cast<int>(code));
    CHECK(error_code_name(code) != "Unknown");
    CHECK(error_code_from_name(error_code_name(code)) == code);
  }
  CHECK(error_code_name(static_cast<wire::ErrorCode>(0)) == "Unknown");
  CHECK_FALSE(error_code_from_name("NoSuchCode").has_value());
}

TEST_CASE("error codes map to the documented HTTP statuses") {
  using wire::ErrorCode;
  CHECK(http_status_for(ErrorCode::InvalidArgument) == 400);
  CHECK(http_status_for(ErrorCode::NotFound) == 404);
  CHECK(http_status_for(ErrorCode::TableNotFound) == 404);
  CHECK(http_status_for(ErrorCode::TooLarge) == 413);
  CHECK(http_status_for(ErrorCode::Unavailable) == 503);
  CHECK(http_status_for(ErrorCode::Timeout) == 504);
  CHECK(http_status_for(ErrorCode::Overloaded) == 429);
  CHECK(http_status_for(ErrorCode::Unauthorized) == 401);
  CHECK(http_status_for(ErrorCode::Internal) == 500);
  CHECK(http_status_for(ErrorCode::TableExists) == 409);
  CHECK(http_status_for(ErrorCode::ShuttingDown) == 503);
}

TEST_CASE("header errors and module statuses map to wire error codes") {
  CHECK(error_code_for(FrameError::kTooLarge) == wire::ErrorCode::TooLarge);
  CHECK(error_code_for(FrameError::kBadVersion) == wire::ErrorCode::UnsupportedVersion);
  CHECK(error_code_for(FrameError::kBadFlags) == wire::ErrorCode::MalformedFrame);
  CHECK(error_code_for(Status::timeout("t")) == wire::ErrorCode::Timeout);
  CHECK(error_code_for(Status::busy("b")) == wire::ErrorCode::Overloaded);
  CHECK(error_code_for(Status::io_error("disk")) == wire::ErrorCode::Internal);
  CHECK(error_code_for(Status::too_large("v")) == wire::ErrorCode::TooLarge);
  CHECK(error_code_for(Status::table_not_found("t")) == wire::ErrorCode::TableNotFound);
  CHECK(error_code_for(Status::table_exists("t")) == wire::ErrorCode::TableExists);
  CHECK(error_code_for(Status::shutting_down("s")) == wire::ErrorCode::ShuttingDown);
  CHECK(error_code_for(Status::unauthorized("u")) == wire::ErrorCode::Unauthorized);
  CHECK(error_code_for(Status::overloaded("o")) == wire::ErrorCode::Overloaded);
  CHECK(is_retry_safe(wire::ErrorCode::Overloaded));
  CHECK(is_retry_safe(wire::ErrorCode::ShuttingDown));
  CHECK(is_retry_safe(wire::ErrorCode::Unavailable));
  CHECK_FALSE(is_retry_safe(wire::ErrorCode::Timeout));
  CHECK(retry_class_of(wire::ErrorCode::Timeout) == RetryClass::kUnknownOutcome);
  CHECK(retry_class_of(wire::ErrorCode::Internal) == RetryClass::kUnknownOutcome);
  CHECK(retry_class_of(wire::ErrorCode::TableExists) == RetryClass::kNever);
  CHECK(retry_class_of(static_cast<wire::ErrorCode>(999)) == RetryClass::kUnknownOutcome);
}

TEST_CASE("every StatusCode has a wire code whose HTTP status is an error") {
  for (int c = static_cast<int>(StatusCode::kNotFound);
       c <= static_cast<int>(StatusCode::kShuttingDown); ++c) {
    const auto code = static_cast<StatusCode>(c);
    INFO(status_code_name(code));
    const wire::ErrorCode wire_code = error_code_for(code);
    CHECK(error_code_name(wire_code) != "Unknown");
    CHECK(http_status_for(wire_code) >= 400);
  }
}

TEST_CASE("enum range checks catch values from a newer peer") {
  CHECK(is_known(wire::Consistency::EachQuorum));
  CHECK_FALSE(is_known(static_cast<wire::Consistency>(9)));
  CHECK(is_known(wire::ConflictMode::Lww));
  CHECK_FALSE(is_known(static_cast<wire::ConflictMode>(2)));
}

TEST_CASE("check_request accepts a valid request and names what is wrong with others") {
  Frame frame;
  frame.header.opcode = Opcode::kPut;
  frame.header.stream_id = 3;
  frame.payload = sample_put_request();
  CHECK_FALSE(check_request(frame).has_value());

  Frame response = frame;
  response.header.flags = kFlagResponse;
  CHECK(check_request(response)->code == wire::ErrorCode::MalformedFrame);

  Frame stream_zero = frame;
  stream_zero.header.stream_id = kConnectionStreamId;
  CHECK(check_request(stream_zero)->code == wire::ErrorCode::MalformedFrame);

  Frame unknown = frame;
  unknown.header.opcode = static_cast<Opcode>(77);
  auto rejected = check_request(unknown);
  REQUIRE(rejected.has_value());
  CHECK(rejected->code == wire::ErrorCode::UnknownOpcode);
  CHECK(rejected->message == "unknown opcode 77");

  Frame truncated = frame;
  truncated.payload.resize(truncated.payload.size() / 2);
  rejected = check_request(truncated);
  REQUIRE(rejected.has_value());
  CHECK(rejected->code == wire::ErrorCode::MalformedFrame);
}
