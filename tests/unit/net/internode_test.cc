// The internode codec: every message survives encode -> frame -> decode unchanged, and what
// is not a well-formed internode frame is refused before anyone reads it.
#include <catch2/catch.hpp>

#include <string>

#include "net/internode.h"
#include "net/wire.h"
#include "support/frame_bytes.h"

using namespace pairdb;
using namespace pairdb::net;
using namespace pairdb::net::internode;

namespace {

const ItemKey kKey{42, std::string("pk\0binary", 9), "sort"};

}  // namespace

TEST_CASE("every internode request round-trips through its frame") {
  const std::vector<Request> requests = {
      Handshake{kInternodeProtocolVersion, 0xfeedULL, std::string(kNodeIdBytes, '\x07')},
      ReplicaWrite{kKey, std::string("\x01record\xff", 8), true},
      ReplicaRead{kKey},
      RangeRead{42, "pk", std::nullopt, std::string(), std::string("after"), 100},
      RangeRead{42, "pk", std::string("a"), std::nullopt, std::nullopt, 1},
      ForwardWrite{kKey, false, "value", "text/plain", "ctx", 5000, "req-1", 4, 250},
      ForwardWrite{kKey, true, "", "", "", 0, "", 0, 0},
  };
  for (const Request& request : requests) {
    const Frame frame = test::frame_of(encode_request(9, request));
    CHECK(frame.header.stream_id == 9);
    CHECK_FALSE(frame.header.is_response());
    CHECK(from_frame_opcode(frame.header.opcode) == op_of(request));
    auto decoded = decode_request(frame);
    INFO(internode_op_name(op_of(request)));
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == request);
  }
}

TEST_CASE("every internode response round-trips, an error with the frame's error flag") {
  const std::vector<std::pair<InternodeOp, Response>> responses = {
      {InternodeOp::kHandshake, HandshakeReply{1, 0xfeedULL, std::string(kNodeIdBytes, 'n')}},
      {InternodeOp::kReplicaWrite, ReplicaWriteReply{true}},
      {InternodeOp::kReplicaRead, ReplicaReadReply{""}},
      {InternodeOp::kReplicaRead, ReplicaReadReply{"record"}},
      {InternodeOp::kRangeRead, RangeReadReply{{{"a", "r1"}, {"b", "r2"}}, std::string("b")}},
      {InternodeOp::kRangeRead, RangeReadReply{{}, std::nullopt}},
      {InternodeOp::kForwardWrite, ForwardWriteReply{"record", 2, 3}},
      {InternodeOp::kForwardWrite, InternodeError{6, "timed out", 2, 1}},
  };
  for (const auto& [op, response] : responses) {
    const Frame frame = test::frame_of(encode_response(3, op, response));
    CHECK(frame.header.is_response());
    CHECK(frame.header.is_error() == std::holds_alternative<InternodeError>(response));
    auto decoded = decode_response(frame);
    INFO(internode_op_name(op));
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == response);
  }
}

TEST_CASE("a frame that is not a well-formed internode message is refused") {
  const std::string good = encode_request(1, ReplicaRead{kKey});

  Frame client_op = test::frame_of(good);
  client_op.header.opcode = Opcode::kGet;  // A client opcode on the internode listener.
  CHECK(decode_request(client_op).status().code() == StatusCode::kInvalidArgument);

  CHECK(decode_response(test::frame_of(good)).status().code() == StatusCode::kInvalidArgument);
  CHECK(decode_request(
            test::frame_of(encode_response(1, InternodeOp::kReplicaRead, ReplicaReadReply{})))
            .status()
            .code() == StatusCode::kInvalidArgument);

  Frame truncated = test::frame_of(good);
  truncated.payload.resize(truncated.payload.size() / 2);
  CHECK(decode_request(truncated).status().code() == StatusCode::kCorruption);

  Frame garbage = test::frame_of(good);
  garbage.payload = std::string(64, '\xff');
  CHECK(decode_request(garbage).status().code() == StatusCode::kCorruption);
}

TEST_CASE("internode opcodes do not overlap the client protocol's") {
  for (Opcode op : kAllOpcodes) CHECK_FALSE(is_internode_op(static_cast<uint16_t>(op)));
  CHECK(is_internode_op(static_cast<uint16_t>(InternodeOp::kForwardWrite)));
  CHECK(internode_op_name(InternodeOp::kRangeRead) == "RangeRead");
  CHECK(internode_op_name(static_cast<InternodeOp>(0x01ff)) == "Unknown");
}
