// Anti-entropy messages over the internode protocol: every repair message survives replication
// struct -> net struct -> frame bytes -> net struct -> replication struct unchanged, and what is
// not a repair message, or names a malformed node id, is refused.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/internode.h"
#include "server/cluster/repair_wire.h"
#include "support/frame_bytes.h"

using namespace pairdb;
using namespace pairdb::server;
using namespace pairdb::replication;
namespace internode = pairdb::net::internode;

namespace {

// A range that wraps past the largest token, and the whole ring (start == end).
const ring::TokenRange kWrapping{0xfff0000000000000ULL, 0x10};
const ring::TokenRange kRing{0x1234, 0x1234};

RepairScope scope(ring::TokenRange range) { return RepairScope{0x5e5510, 0x5f0c, 42, range, 12}; }

RepairRequest request_round_trip(const RepairRequest& request) {
  const internode::Request wire = repair_request_to_wire(request);
  REQUIRE(is_repair_request(wire));
  auto decoded = internode::decode_request(test::frame_of(internode::encode_request(5, wire)));
  REQUIRE(decoded.is_ok());
  CHECK(*decoded == wire);
  auto back = repair_request_from_wire(*decoded);
  REQUIRE(back.is_ok());
  return *back;
}

RepairReply reply_round_trip(const RepairReply& reply, internode::InternodeOp op) {
  const internode::Response wire = repair_reply_to_wire(reply);
  auto decoded =
      internode::decode_response(test::frame_of(internode::encode_response(5, op, wire)));
  REQUIRE(decoded.is_ok());
  CHECK(*decoded == wire);
  auto back = repair_reply_from_wire(*decoded);
  REQUIRE(back.is_ok());
  return *back;
}

}  // namespace

TEST_CASE("every repair request round-trips through the internode codec") {
  const std::vector<RepairRequest> requests = {
      RepairTreeRequest{scope(kWrapping), {0, 1, 2, 4095}},
      RepairTreeRequest{scope(kRing), {}},
      RepairLeavesRequest{scope(kWrapping), {7, 2047}},
      RepairLeavesRequest{scope(kRing), {}},
      RepairFetchRequest{scope(kWrapping), {3}, {1, 99, ~0ULL}, 1u << 20},
      RepairFetchRequest{scope(kRing), {}, {}, 0},
      RepairPushRequest{42, {{std::string("key\0one", 7), "record"}, {"", ""}}},
      RepairPushRequest{42, {}},
      RepairDoneRequest{0x5e5510,
                        42,
                        kWrapping,
                        1700000000000,
                        3,
                        {ring::NodeId::from_words(1, 2), ring::NodeId::from_words(~0ULL, 0)}},
      RepairDoneRequest{1, 42, kRing, 0, 0, {}},
  };
  for (const RepairRequest& request : requests) {
    INFO("alternative " << request.index());
    CHECK(request_round_trip(request) == request);
  }
}

TEST_CASE("every repair reply round-trips through the internode codec") {
  using Op = internode::InternodeOp;
  const std::vector<std::pair<RepairReply, Op>> replies = {
      {RepairTreeReply{{1, 2, ~0ULL}, 3}, Op::kRepairTree},
      {RepairTreeReply{{}, 0}, Op::kRepairTree},
      {RepairLeavesReply{{{1, 2}, {~0ULL, 0}}}, Op::kRepairLeaves},
      {RepairLeavesReply{}, Op::kRepairLeaves},
      {RepairFetchReply{{{std::string("k\0", 2), "r"}}, true}, Op::kRepairFetch},
      {RepairFetchReply{{}, false}, Op::kRepairFetch},
      {RepairPushReply{9}, Op::kRepairPush},
      {RepairDoneReply{}, Op::kRepairDone},
  };
  for (const auto& [reply, op] : replies) {
    INFO(internode::internode_op_name(op));
    CHECK(reply_round_trip(reply, op) == reply);
  }
}

TEST_CASE("a repair request names the opcode of its kind") {
  CHECK(internode::op_of(repair_request_to_wire(RepairTreeRequest{})) ==
        internode::InternodeOp::kRepairTree);
  CHECK(internode::op_of(repair_request_to_wire(RepairLeavesRequest{})) ==
        internode::InternodeOp::kRepairLeaves);
  CHECK(internode::op_of(repair_request_to_wire(RepairFetchRequest{})) ==
        internode::InternodeOp::kRepairFetch);
  CHECK(internode::op_of(repair_request_to_wire(RepairPushRequest{})) ==
        internode::InternodeOp::kRepairPush);
  CHECK(internode::op_of(repair_request_to_wire(RepairDoneRequest{})) ==
        internode::InternodeOp::kRepairDone);
}

TEST_CASE("a message that is not a repair one is refused as an invalid argument") {
  const internode::Request read = internode::ReplicaRead{{42, "pk", ""}};
  CHECK_FALSE(is_repair_request(read));
  CHECK(repair_request_from_wire(read).status().code() == StatusCode::kInvalidArgument);
  CHECK(repair_reply_from_wire(internode::ReplicaWriteReply{true}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(repair_reply_from_wire(internode::InternodeError{5, "no table", 0, 0}).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("a repair notice with a malformed replica list is corruption") {
  internode::RepairDone short_id{1, 42, 0, 0, 0, 0, {std::string(15, 'x')}};
  CHECK(repair_request_from_wire(short_id).status().code() == StatusCode::kCorruption);

  internode::RepairDone long_id{1, 42, 0, 0, 0, 0, {std::string(internode::kNodeIdBytes + 1, 'x')}};
  CHECK(repair_request_from_wire(long_id).status().code() == StatusCode::kCorruption);

  internode::RepairDone too_many{1, 42, 0, 0, 0, 0, {}};
  too_many.replicas.assign(ring::kReplicationFactorMax + 1,
                           std::string(internode::kNodeIdBytes, 'x'));
  CHECK(repair_request_from_wire(too_many).status().code() == StatusCode::kCorruption);
}
