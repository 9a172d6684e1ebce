// Decoding response frames: results, error frames, and frames that break the protocol.
#include <catch2/catch.hpp>

#include "client/request_codec.h"
#include "client/response_codec.h"
#include "net/wire.h"

using namespace pairdb::client;
namespace net = pairdb::net;
namespace wire = pairdb::wire;

namespace {

net::Frame frame_of(const std::string& bytes) {
  net::FrameDecoder decoder;
  decoder.feed(bytes);
  auto frame = decoder.next();
  REQUIRE(frame);
  return std::move(*frame);
}

}  // namespace

TEST_CASE("a Get response decodes into siblings and the merged context", "[client][codec]") {
  flatbuffers::FlatBufferBuilder fbb;
  const uint8_t value[] = {'v', '1'};
  const uint8_t context[] = {1, 2, 3};
  auto sibling = wire::CreateSibling(fbb, fbb.CreateVector(value, 2),
                                     fbb.CreateString("text/plain"), 77, 0, false);
  std::vector<flatbuffers::Offset<wire::Sibling>> siblings{sibling};
  fbb.Finish(
      wire::CreateGetResponse(fbb, true, fbb.CreateVector(siblings), fbb.CreateVector(context, 3)));
  const net::Frame frame = frame_of(net::encode_response_frame(5, net::Opcode::kGet, fbb));

  Expected<GetResult> got = decode_get(frame);
  REQUIRE(got);
  CHECK(got->found);
  REQUIRE(got->siblings.size() == 1);
  CHECK(got->siblings[0].value == "v1");
  CHECK(got->siblings[0].content_type == "text/plain");
  CHECK(got->siblings[0].timestamp == 77);
  CHECK(got->context == std::string("\x01\x02\x03", 3));
}

TEST_CASE("an error frame decodes into the typed error with the server's message",
          "[client][codec]") {
  const net::Frame frame = frame_of(net::encode_error_frame(
      9, net::Opcode::kPut, wire::ErrorCode::Unavailable, "need 2 replicas", 2, 1));
  const Error error = decode_error_frame(frame);
  CHECK(error.code == Errc::kUnavailable);
  CHECK(error.message == "need 2 replicas");
  CHECK(error.required == 2);
  CHECK(error.achieved == 1);
  Expected<PutResult> put = decode_put(frame);
  CHECK(put.is(Errc::kUnavailable));
}

TEST_CASE("a response to another opcode is a protocol error", "[client][codec]") {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(wire::CreatePingResponse(fbb));
  const net::Frame frame = frame_of(net::encode_response_frame(1, net::Opcode::kPing, fbb));
  CHECK(decode_get(frame).is(Errc::kProtocol));
  CHECK(decode_ping(frame));
}

TEST_CASE("a payload that fails verification is a protocol error", "[client][codec]") {
  net::FrameHeader header;
  header.flags = net::kFlagResponse;
  header.opcode = net::Opcode::kTopology;
  header.stream_id = 3;
  const net::Frame frame =
      frame_of(net::encode_frame(header, std::string_view("\xff\xff\xff\x7f")));
  CHECK(decode_topology(frame).is(Errc::kProtocol));
}

TEST_CASE("requests encode to payloads the server's verifier accepts", "[client][codec]") {
  auto verify = [](net::Opcode opcode, const std::string& payload) {
    return net::verify_request(opcode, net::as_bytes(payload)).is_ok();
  };
  CHECK(verify(
      net::Opcode::kPut,
      encode_payload(
          PutRequest{.table = "t", .partition_key = "k", .value = "v", .idempotency_key = "id"},
          100)));
  CHECK(
      verify(net::Opcode::kGet, encode_payload(GetRequest{.table = "t", .partition_key = "k"}, 0)));
  CHECK(verify(
      net::Opcode::kQuery,
      encode_payload(
          QueryRequest{.table = "t", .partition_key = "k", .from_sort_key = std::string()}, 0)));
  CHECK(verify(net::Opcode::kHello, encode_hello_payload("test")));
  CHECK(verify(net::Opcode::kCreateTable,
               encode_payload(detail::CreateTableArgs{TableSpec{.name = "t"}, true})));
}

TEST_CASE("a table's sloppy_quorum travels as sloppy_quorum_off, and absent reads as on",
          "[client][codec]") {
  const std::string payload = encode_payload(
      detail::CreateTableArgs{TableSpec{.name = "t", .sloppy_quorum = false}, false});
  const auto* request = flatbuffers::GetRoot<wire::CreateTableRequest>(payload.data());
  CHECK(request->spec()->sloppy_quorum_off());
  const std::string plain = encode_payload(detail::CreateTableArgs{TableSpec{.name = "t"}, false});
  CHECK_FALSE(
      flatbuffers::GetRoot<wire::CreateTableRequest>(plain.data())->spec()->sloppy_quorum_off());

  for (const bool off : {false, true}) {
    flatbuffers::FlatBufferBuilder fbb;
    wire::TableSpecBuilder spec(fbb);
    if (off) spec.add_sloppy_quorum_off(true);
    const auto spec_offset = spec.Finish();
    fbb.Finish(wire::CreateCreateTableResponse(fbb, wire::CreateTableInfo(fbb, spec_offset, 7)));
    auto info = decode_create_table(
        frame_of(net::encode_response_frame(1, net::Opcode::kCreateTable, fbb)));
    REQUIRE(info);
    CHECK(info->spec.sloppy_quorum == !off);
  }
}

TEST_CASE("cluster responses decode: endpoints, cluster description, gossip members",
          "[client][codec]") {
  {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::NodeInfo>> nodes;
    for (const char* id : {"n1", "n2", "n3"}) {
      nodes.push_back(wire::CreateNodeInfo(fbb, fbb.CreateString(id), fbb.CreateString("a:1"), 0,
                                           fbb.CreateString("dc1"), 0, 0, 0,
                                           fbb.CreateString("alive")));
    }
    fbb.Finish(wire::CreateGetEndpointsResponse(fbb, 42, fbb.CreateVector(nodes), 2, 7));
    auto endpoints = decode_get_endpoints(
        frame_of(net::encode_response_frame(1, net::Opcode::kGetEndpoints, fbb)));
    REQUIRE(endpoints);
    CHECK(endpoints->token == 42);
    CHECK(endpoints->natural_count == 2);
    CHECK(endpoints->ring_version == 7);
    REQUIRE(endpoints->nodes.size() == 3);
    CHECK(endpoints->nodes[2].node_id == "n3");
    CHECK(endpoints->nodes[0].dc == "dc1");
    CHECK(endpoints->nodes[0].liveness == "alive");
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::SchemaVersion>> versions{
        wire::CreateSchemaVersion(fbb, 10, fbb.CreateVectorOfStrings({"a", "b"})),
        wire::CreateSchemaVersion(fbb, 11, fbb.CreateVectorOfStrings({"c"}))};
    fbb.Finish(wire::CreateDescribeClusterResponse(fbb, fbb.CreateString("prod"),
                                                   fbb.CreateString("xxh3-64"),
                                                   fbb.CreateVector(versions), false, 3));
    auto cluster = decode_describe_cluster(
        frame_of(net::encode_response_frame(2, net::Opcode::kDescribeCluster, fbb)));
    REQUIRE(cluster);
    CHECK(cluster->cluster_name == "prod");
    CHECK_FALSE(cluster->schema_agreement);
    REQUIRE(cluster->schema_versions.size() == 2);
    CHECK(cluster->schema_versions[0].version == 10);
    CHECK(cluster->schema_versions[0].node_ids == std::vector<std::string>{"a", "b"});
    CHECK(cluster->schema_versions[1].node_ids == std::vector<std::string>{"c"});
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::GossipMember>> members{wire::CreateGossipMember(
        fbb, fbb.CreateString("n1"), fbb.CreateString("127.0.0.1:7401"), 5,
        fbb.CreateString("normal"), 99, 1024, fbb.CreateString("0.1.0"), fbb.CreateString("dc1"),
        fbb.CreateString("r1"), fbb.CreateString("suspect"), 3)};
    fbb.Finish(
        wire::CreateGossipInfoResponse(fbb, fbb.CreateString("n1"), fbb.CreateVector(members)));
    auto gossip =
        decode_gossip_info(frame_of(net::encode_response_frame(3, net::Opcode::kGossipInfo, fbb)));
    REQUIRE(gossip);
    CHECK(gossip->node_id == "n1");
    REQUIRE(gossip->members.size() == 1);
    const GossipMember& m = gossip->members[0];
    CHECK(m.gossip_address == "127.0.0.1:7401");
    CHECK(m.incarnation == 5);
    CHECK(m.schema_version == 99);
    CHECK(m.load_bytes == 1024);
    CHECK(m.software_version == "0.1.0");
    CHECK(m.rack == "r1");
    CHECK(m.liveness == "suspect");
    CHECK(m.meta_version == 3);
  }
}

TEST_CASE("hinted handoff requests encode, and their responses decode", "[client][codec]") {
  auto verify = [](net::Opcode opcode, const std::string& payload) {
    return net::verify_request(opcode, net::as_bytes(payload)).is_ok();
  };
  CHECK(verify(net::Opcode::kHandoffStatus, encode_payload(detail::HandoffStatusArgs{})));
  const std::string truncate = encode_payload(
      detail::HandoffControlArgs{HandoffAction::kTruncate, "0f1e2d3c-4b5a-4968-8776-655443322110"});
  REQUIRE(verify(net::Opcode::kHandoffControl, truncate));
  const auto* request = flatbuffers::GetRoot<wire::HandoffControlRequest>(truncate.data());
  CHECK(request->action() == wire::HandoffAction::Truncate);
  CHECK(request->node_id()->str() == "0f1e2d3c-4b5a-4968-8776-655443322110");
  const std::string pause_all = encode_payload(detail::HandoffControlArgs{HandoffAction::kPause});
  const auto* all = flatbuffers::GetRoot<wire::HandoffControlRequest>(pause_all.data());
  CHECK(all->action() == wire::HandoffAction::Pause);
  CHECK(all->node_id() == nullptr);  // Every target: absent, not empty.

  {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<wire::HandoffTarget>> targets{
        wire::CreateHandoffTargetDirect(fbb, "n1", 3, 900, 1700, "waiting", "dead")};
    std::vector<flatbuffers::Offset<wire::HintDropCount>> dropped{
        wire::CreateHintDropCountDirect(fbb, "target_cap", 0),
        wire::CreateHintDropCountDirect(fbb, "truncated", 4)};
    std::vector<flatbuffers::Offset<wire::RepairRange>> ranges{
        wire::CreateRepairRangeDirect(fbb, 11, "users", 0, 255, "truncated", 1800, 4),
        wire::CreateRepairRangeDirect(fbb, 99, nullptr, 256, 511, "window", 1900, 1)};
    fbb.Finish(wire::CreateHandoffStatusResponse(fbb, fbb.CreateVector(targets), true, 10, 7, 2100,
                                                 2, 900, fbb.CreateVector(dropped),
                                                 fbb.CreateVector(ranges), 5));
    auto status = decode_handoff_status(
        frame_of(net::encode_response_frame(4, net::Opcode::kHandoffStatus, fbb)));
    REQUIRE(status);
    REQUIRE(status->targets.size() == 1);
    CHECK(status->targets[0].node_id == "n1");
    CHECK(status->targets[0].hints == 3);
    CHECK(status->targets[0].bytes == 900);
    CHECK(status->targets[0].oldest_created_wall_ms == 1700);
    CHECK(status->targets[0].state == "waiting");
    CHECK(status->targets[0].liveness == "dead");
    CHECK(status->paused_all);
    CHECK(status->stored == 10);
    CHECK(status->delivered == 7);
    CHECK(status->delivered_bytes == 2100);
    CHECK(status->failed_attempts == 2);
    CHECK(status->total_bytes == 900);
    REQUIRE(status->dropped.size() == 2);
    CHECK(status->dropped[1].first == "truncated");
    CHECK(status->dropped[1].second == 4);
    REQUIRE(status->repair_ranges.size() == 2);
    CHECK(status->repair_ranges[0].table == "users");
    CHECK(status->repair_ranges[0].range_end == 255);
    CHECK(status->repair_ranges[0].hints_dropped == 4);
    CHECK(status->repair_ranges[1].table_id == 99);
    CHECK(status->repair_ranges[1].table.empty());
    CHECK(status->repair_ranges[1].reason == "window");
    CHECK(status->repair_ranges[1].marked_wall_ms == 1900);
    CHECK(status->repair_ranges_total == 5);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateHandoffControlResponse(fbb, 12));
    auto control = decode_handoff_control(
        frame_of(net::encode_response_frame(5, net::Opcode::kHandoffControl, fbb)));
    REQUIRE(control);
    CHECK(control->affected == 12);
  }
  const net::Frame unsupported = frame_of(net::encode_error_frame(
      6, net::Opcode::kHandoffStatus, wire::ErrorCode::UnsupportedVersion, "no hinted handoff"));
  CHECK(decode_handoff_status(unsupported).is(Errc::kProtocol));
}

TEST_CASE("repair requests encode, and their responses decode", "[client][codec]") {
  auto verify = [](net::Opcode opcode, const std::string& payload) {
    return net::verify_request(opcode, net::as_bytes(payload)).is_ok();
  };
  CHECK(verify(net::Opcode::kRepairStatus, encode_payload(detail::RepairStatusArgs{})));
  const std::string ranged = encode_payload(detail::RepairRunArgs{
      {.table = "users", .range = TokenRange{.start = 10, .end = 20}, .full = true}, {}});
  REQUIRE(verify(net::Opcode::kRepairRun, ranged));
  const auto* request = flatbuffers::GetRoot<wire::RepairRunRequest>(ranged.data());
  CHECK(request->table()->str() == "users");
  REQUIRE(request->range() != nullptr);
  CHECK(request->range()->start() == 10);
  CHECK(request->range()->end() == 20);
  CHECK(request->full());
  const std::string everything = encode_payload(detail::RepairRunArgs{});
  const auto* all = flatbuffers::GetRoot<wire::RepairRunRequest>(everything.data());
  CHECK(all->table() == nullptr);  // Every table: absent, not empty.
  CHECK(all->range() == nullptr);  // The whole ring.
  CHECK_FALSE(all->full());

  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateRepairRunResponse(fbb, 42));
    auto run =
        decode_repair_run(frame_of(net::encode_response_frame(4, net::Opcode::kRepairRun, fbb)));
    REQUIRE(run);
    CHECK(run->job_id == 42);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    std::vector<flatbuffers::Offset<flatbuffers::String>> peers{fbb.CreateString("n2"),
                                                                fbb.CreateString("n3")};
    std::vector<flatbuffers::Offset<wire::RepairSession>> sessions{
        wire::CreateRepairSession(fbb, fbb.CreateString("users"), 5, 9, fbb.CreateVector(peers),
                                  0.25, true, 7, 3, 4, 1000, 2000)};
    std::vector<flatbuffers::Offset<wire::RepairJob>> jobs{wire::CreateRepairJobDirect(
        fbb, 3, "failed", "users", 1000, 5000, 7, 5, 2, 1.0, 12, 30, 4096, "peer timed out")};
    std::vector<flatbuffers::Offset<wire::RepairRangeState>> ranges{
        wire::CreateRepairRangeStateDirect(fbb, "users", 0, 255, 1700, 6, true, false, true),
        wire::CreateRepairRangeStateDirect(fbb, "users", 255, 511, 0, 0, false, true, false)};
    fbb.Finish(wire::CreateRepairStatusResponse(fbb, fbb.CreateVector(sessions),
                                                fbb.CreateVector(jobs), fbb.CreateVector(ranges), 9,
                                                86'400'000, 8 << 20));
    auto status = decode_repair_status(
        frame_of(net::encode_response_frame(5, net::Opcode::kRepairStatus, fbb)));
    REQUIRE(status);
    REQUIRE(status->sessions.size() == 1);
    const RepairSession& session = status->sessions[0];
    CHECK(session.table == "users");
    CHECK(session.range.start == 5);
    CHECK(session.range.end == 9);
    CHECK(session.peers == std::vector<std::string>{"n2", "n3"});
    CHECK(session.progress == 0.25);
    CHECK(session.background);
    CHECK(session.records_differing == 7);
    CHECK(session.records_fetched == 3);
    CHECK(session.records_pushed == 4);
    CHECK(session.bytes_sent == 1000);
    CHECK(session.bytes_received == 2000);
    REQUIRE(status->jobs.size() == 1);
    const RepairJob& job = status->jobs[0];
    CHECK(job.id == 3);
    CHECK(job.state == "failed");
    CHECK(job.finished());
    CHECK(job.table == "users");
    CHECK(job.started_wall_ms == 1000);
    CHECK(job.finished_wall_ms == 5000);
    CHECK(job.ranges_total == 7);
    CHECK(job.ranges_done == 5);
    CHECK(job.ranges_failed == 2);
    CHECK(job.progress == 1.0);
    CHECK(job.records_differing == 12);
    CHECK(job.records_exchanged == 30);
    CHECK(job.bytes_exchanged == 4096);
    CHECK(job.error == "peer timed out");
    REQUIRE(status->ranges.size() == 2);
    CHECK(status->ranges[0].table == "users");
    CHECK(status->ranges[0].range.end == 255);
    CHECK(status->ranges[0].last_verified_wall_ms == 1700);
    CHECK(status->ranges[0].records_differing == 6);
    CHECK(status->ranges[0].marked);
    CHECK_FALSE(status->ranges[0].overdue);
    CHECK(status->ranges[0].running);
    CHECK(status->ranges[1].range.start == 255);
    CHECK(status->ranges[1].last_verified_wall_ms == 0);
    CHECK(status->ranges[1].overdue);
    CHECK(status->ranges_total == 9);
    CHECK(status->interval_ms == 86'400'000);
    CHECK(status->rate_bytes_per_sec == 8u << 20);
  }
  {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateRepairStatusResponse(fbb));
    auto empty = decode_repair_status(
        frame_of(net::encode_response_frame(6, net::Opcode::kRepairStatus, fbb)));
    REQUIRE(empty);
    CHECK(empty->sessions.empty());
    CHECK(empty->jobs.empty());
    CHECK(empty->ranges.empty());
  }
  const net::Frame unsupported = frame_of(net::encode_error_frame(
      7, net::Opcode::kRepairRun, wire::ErrorCode::UnsupportedVersion, "no repair"));
  CHECK(decode_repair_run(unsupported).is(Errc::kProtocol));
  CHECK_FALSE(RepairJob{.state = "running"}.finished());
}
