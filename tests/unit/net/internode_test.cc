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

// A comparison of a wrapping range (start > end: past the largest token and round).
const RepairScope kWrappingScope{7, 8, 42, 0xfff0000000000000ULL, 0x10, 12};
// The whole ring: start == end.
const RepairScope kRingScope{1, 2, 3, 0x1234, 0x1234, 0};

template <typename T>
std::vector<T> counting(size_t count, T step) {
  std::vector<T> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = static_cast<T>(i * step);
  return v;
}

// One decode_request of encode_request(request).
Result<Request> request_round_trip(const Request& request) {
  return decode_request(test::frame_of(encode_request(9, request)));
}

Result<Response> response_round_trip(InternodeOp op, const Response& response) {
  return decode_response(test::frame_of(encode_response(3, op, response)));
}

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

TEST_CASE("every repair request round-trips, with empty and wrapping and whole-ring scopes") {
  const std::vector<Request> requests = {
      RepairTree{kWrappingScope, {0, 1, 2, 0xffffffffu}},
      RepairTree{kRingScope, {}},
      RepairLeaves{kWrappingScope, {3, 4}},
      RepairLeaves{kRingScope, {}},
      RepairFetch{kWrappingScope, {1}, {0, 5, ~0ULL}, 1u << 20},
      RepairFetch{kRingScope, {}, {}, 0},
      RepairPush{42, {{std::string("k\0ey", 4), std::string("\x01rec\xff", 5)}, {"", ""}}},
      RepairPush{0, {}},
      RepairDone{7,
                 42,
                 0xfff0000000000000ULL,
                 0x10,
                 1700000000000,
                 12,
                 {std::string(kNodeIdBytes, '\x01'), std::string(kNodeIdBytes, '\0')}},
      RepairDone{1, 3, 0x1234, 0x1234, 0, 0, {}},
  };
  for (const Request& request : requests) {
    INFO(internode_op_name(op_of(request)));
    auto decoded = request_round_trip(request);
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == request);
  }
}

TEST_CASE("every repair response round-trips, empty ones included") {
  const std::vector<std::pair<InternodeOp, Response>> responses = {
      {InternodeOp::kRepairTree, RepairTreeReply{{1, ~0ULL, 0}, 123456789}},
      {InternodeOp::kRepairTree, RepairTreeReply{{}, 0}},
      {InternodeOp::kRepairLeaves, RepairLeavesReply{{{1, 2}, {~0ULL, 0}}}},
      {InternodeOp::kRepairLeaves, RepairLeavesReply{}},
      {InternodeOp::kRepairFetch, RepairFetchReply{{{"key", "record"}}, true}},
      {InternodeOp::kRepairFetch, RepairFetchReply{{}, false}},
      {InternodeOp::kRepairPush, RepairPushReply{17}},
      {InternodeOp::kRepairDone, RepairDoneReply{}},
      {InternodeOp::kRepairFetch, InternodeError{5, "table not found", 0, 0}},
  };
  for (const auto& [op, response] : responses) {
    INFO(internode_op_name(op));
    auto decoded = response_round_trip(op, response);
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == response);
  }
}

TEST_CASE("large repair vectors round-trip and stay compact") {
  constexpr size_t kEntries = 300'000;
  RepairLeavesReply leaves;
  leaves.entries.reserve(kEntries);
  for (size_t i = 0; i < kEntries; ++i) leaves.entries.push_back({i * 0x9e3779b97f4a7c15ULL, i});
  const std::string leaves_frame = encode_response(3, InternodeOp::kRepairLeaves, leaves);
  CHECK(leaves_frame.size() < 16 * kEntries + 128);  // Two u64 an entry, no per-entry table.
  auto decoded_leaves = decode_response(test::frame_of(leaves_frame));
  REQUIRE(decoded_leaves.is_ok());
  CHECK(*decoded_leaves == Response(leaves));

  const RepairTreeReply tree{counting<uint64_t>(kEntries, 0x9e3779b97f4a7c15ULL), kEntries};
  const std::string tree_frame = encode_response(3, InternodeOp::kRepairTree, tree);
  CHECK(tree_frame.size() < 8 * kEntries + 128);
  auto decoded_tree = decode_response(test::frame_of(tree_frame));
  REQUIRE(decoded_tree.is_ok());
  CHECK(*decoded_tree == Response(tree));

  const RepairFetch fetch{kWrappingScope, counting<uint32_t>(1u << 14, 1),
                          counting<uint64_t>(kEntries, 3), 16u << 20};
  const std::string fetch_frame = encode_request(9, fetch);
  CHECK(fetch_frame.size() < 8 * kEntries + 4 * (1u << 14) + 256);
  auto decoded_fetch = decode_request(test::frame_of(fetch_frame));
  REQUIRE(decoded_fetch.is_ok());
  CHECK(*decoded_fetch == Request(fetch));
}

TEST_CASE("a malformed repair payload is corruption") {
  const std::string good = encode_request(1, RepairFetch{kWrappingScope, {1, 2}, {3, 4}, 100});
  Frame truncated = test::frame_of(good);
  truncated.payload.resize(truncated.payload.size() - 12);
  CHECK(decode_request(truncated).status().code() == StatusCode::kCorruption);

  // A leaves reply whose vector claims more entries than the payload holds.
  const std::string reply =
      encode_response(1, InternodeOp::kRepairLeaves, RepairLeavesReply{{{1, 2}, {3, 4}}});
  Frame overlong = test::frame_of(reply);
  // The vector's length prefix (2, little-endian) just before its first entry's key hash (1).
  const size_t at = overlong.payload.find(std::string("\x02\0\0\0\x01\0\0\0\0\0\0\0", 12));
  REQUIRE(at != std::string::npos);
  overlong.payload[at] = '\x7f';
  CHECK(decode_response(overlong).status().code() == StatusCode::kCorruption);

  Frame garbage = test::frame_of(encode_request(1, RepairDone{}));
  garbage.payload = std::string(40, '\xee');
  CHECK(decode_request(garbage).status().code() == StatusCode::kCorruption);
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
  CHECK(is_internode_op(0x0109));
  CHECK_FALSE(is_internode_op(0x010a));
  CHECK(internode_op_name(InternodeOp::kRepairLeaves) == "RepairLeaves");
  CHECK(internode_op_name(InternodeOp::kRangeRead) == "RangeRead");
  CHECK(internode_op_name(static_cast<InternodeOp>(0x01ff)) == "Unknown");
}
