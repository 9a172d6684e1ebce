// WireApi in process: request frames in, response frames out, over the real StorageStack. No
// sockets: frames are built and read with the independent test client's codec (wire_client.h),
// and the clock and the storage queue are driven by hand.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "server/wire/wire_api.h"
#include "server/wire/wire_cluster.h"
#include "server_test_util.h"
#include "support/frame_bytes.h"
#include "support/wire_client.h"

using namespace pairdb;
using namespace pairdb::server;
using namespace std::chrono_literals;
using pairdb::server::testing::self_member;
using pairdb::server::testing::Stack;

namespace {

constexpr uint32_t kRequestTimeoutMs = 1000;

// A WireApi over a Stack, with admin hooks that count their calls.
struct Rig {
  Stack stack;
  replication::ClusterView view;
  int flushes = 0;
  std::unique_ptr<WireApi> api;

  explicit Rig(bool queued = false, HandoffOps handoff = {}, RepairOps repair = {})
      : stack(ItemLimits{}, 1000, queued), view(self_member(stack.self)) {
    WireApiDeps deps;
    deps.items = stack.items;
    deps.tables = stack.tables;
    deps.cluster = &view;
    deps.facts.node_id = stack.self.to_string();
    deps.facts.cluster_name = "test-cluster";
    deps.facts.server_version = "0.1.0";
    deps.admin.uptime_ms = [] { return uint64_t{1234}; };
    deps.admin.flush = [this] {
      ++flushes;
      return Status::ok();
    };
    deps.handoff = std::move(handoff);
    deps.repair = std::move(repair);
    deps.request_timeout_ms = kRequestTimeoutMs;
    deps.run_blocking = [this](std::function<void()> work) {
      stack.pending.push_back(std::move(work));
    };
    deps.clock = &stack.clock;
    api = std::make_unique<WireApi>(std::move(deps));
  }

  // Hands the request to the API. The answer, if any yet, lands in the returned slot.
  template <class Args>
  std::shared_ptr<std::optional<std::string>> send(const Args& args, uint32_t stream = 1) {
    auto answer = std::make_shared<std::optional<std::string>>();
    api->handle(test::frame_of(test::encode_request(stream, args)),
                [answer](std::string frame) { answer->emplace(std::move(frame)); });
    return answer;
  }

  // Sends, runs whatever storage work it queued, and decodes the one answer.
  template <class Args>
  test::Reply<typename test::RequestTraits<Args>::Response> call(const Args& args) {
    auto answer = send(args);
    stack.run_pending();
    REQUIRE(answer->has_value());
    return test::decode_reply<Args>(test::frame_of(**answer));
  }
};

}  // namespace

TEST_CASE("WireApi: a put then a get returns the value, an idempotent retry is a duplicate") {
  Rig rig;
  rig.stack.create_table("users");
  test::PutArgs put{.table = "users",
                    .partition_key = "alice",
                    .value = "v1",
                    .content_type = "text/plain",
                    .idempotency_key = "req-1"};
  auto first = rig.call(put);
  INFO(first.describe());
  REQUIRE(first.is_ok());
  CHECK_FALSE(first->duplicate);
  CHECK_FALSE(first->context.empty());

  auto retry = rig.call(put);
  REQUIRE(retry.is_ok());
  CHECK(retry->duplicate);

  auto got = rig.call(test::GetArgs{.table = "users", .partition_key = "alice"});
  REQUIRE(got.is_ok());
  REQUIRE(got->found);
  REQUIRE(got->siblings.size() == 1);
  CHECK(got->siblings[0].value == "v1");
  CHECK(got->siblings[0].content_type == "text/plain");
}

TEST_CASE("WireApi answers Hello and Ping at once while storage work waits in the queue") {
  Rig rig(/*queued=*/true);
  auto table = rig.send(test::CreateTableArgs{.spec = {.name = "t"}});
  REQUIRE_FALSE(table->has_value());  // Queued behind the storage workers.

  auto ping = rig.send(test::PingArgs{});
  REQUIRE(ping->has_value());
  auto pong = test::decode_reply<test::PingArgs>(test::frame_of(**ping));
  REQUIRE(pong.is_ok());
  CHECK(pong->node_id == rig.stack.self.to_string());

  auto hello = rig.send(test::HelloArgs{});
  REQUIRE(hello->has_value());
  auto shake = test::decode_reply<test::HelloArgs>(test::frame_of(**hello));
  REQUIRE(shake.is_ok());
  CHECK(shake->cluster_name == "test-cluster");

  REQUIRE(rig.stack.run_pending() >= 1);
  REQUIRE(table->has_value());
  CHECK(test::decode_reply<test::CreateTableArgs>(test::frame_of(**table)).is_ok());
}

TEST_CASE("WireApi: a request that waited past its deadline answers Timeout, and did nothing") {
  Rig rig(/*queued=*/true);
  auto table = rig.send(test::CreateTableArgs{.spec = {.name = "t"}});
  rig.stack.run_pending();
  REQUIRE(table->has_value());

  auto put =
      rig.send(test::PutArgs{.table = "t", .partition_key = "k", .value = "v", .timeout_ms = 100});
  rig.stack.clock.advance(150ms);  // The workers were busy for longer than the timeout.
  rig.stack.run_pending();
  REQUIRE(put->has_value());
  auto reply = test::decode_reply<test::PutArgs>(test::frame_of(**put));
  REQUIRE(reply.error_code() == wire::ErrorCode::Timeout);

  auto get = rig.call(test::GetArgs{.table = "t", .partition_key = "k"});
  REQUIRE(get.is_ok());
  CHECK_FALSE(get->found);
}

TEST_CASE("WireApi answers errors with the codes of the one error table") {
  Rig rig;
  rig.stack.create_table("t");
  CHECK(rig.call(test::GetArgs{.table = "missing", .partition_key = "k"}).error_code() ==
        wire::ErrorCode::TableNotFound);
  CHECK(rig.call(test::CreateTableArgs{.spec = {.name = "t"}}).error_code() ==
        wire::ErrorCode::TableExists);
  CHECK(rig.call(test::CreateTableArgs{.spec = {.name = "t"}, .if_not_exists = true}).is_ok());
  CHECK(rig.call(test::PutArgs{
                     .table = "t", .partition_key = std::string(100'000, 'k'), .value = "v"})
            .error_code() == wire::ErrorCode::InvalidArgument);
  CHECK(rig.call(test::HelloArgs{.protocol_versions = {7}}).error_code() ==
        wire::ErrorCode::UnsupportedVersion);
}

TEST_CASE("WireApi: sloppy_quorum is on unless CreateTable turns it off, and Describe shows it") {
  Rig rig;
  auto strict = rig.call(test::CreateTableArgs{.spec = {.name = "strict", .sloppy_quorum = false}});
  REQUIRE(strict.is_ok());
  CHECK_FALSE(strict->spec.sloppy_quorum);
  auto sloppy = rig.call(test::CreateTableArgs{.spec = {.name = "sloppy"}});
  REQUIRE(sloppy.is_ok());
  CHECK(sloppy->spec.sloppy_quorum);
  auto described = rig.call(test::DescribeTableArgs{.name = "strict"});
  REQUIRE(described.is_ok());
  CHECK_FALSE(described->spec.sloppy_quorum);
  CHECK(rig.stack.catalog()->find("sloppy")->spec.sloppy_quorum);
  CHECK_FALSE(rig.stack.catalog()->find("strict")->spec.sloppy_quorum);
}

TEST_CASE("a table's sloppy_quorum survives the SchemaPull encoding, and absent reads as on") {
  for (const bool sloppy_quorum : {true, false}) {
    replication::TableInfo info;
    info.spec.name = "t";
    info.spec.replication = {{"dc1", 3}};
    info.spec.sloppy_quorum = sloppy_quorum;
    info.id = 12;
    flatbuffers::FlatBufferBuilder builder;
    builder.Finish(table_info_to_wire(builder, info));
    const auto* wire_info = flatbuffers::GetRoot<wire::TableInfo>(builder.GetBufferPointer());
    CHECK(wire_info->spec()->sloppy_quorum_off() == !sloppy_quorum);
    auto decoded = table_info_from_wire(*wire_info);
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == info);
  }
  // A spec from a sender that predates the option carries no field at all.
  flatbuffers::FlatBufferBuilder builder;
  auto spec = wire::CreateTableSpecDirect(builder, "t");
  builder.Finish(wire::CreateTableInfo(builder, spec, 12));
  auto decoded =
      table_info_from_wire(*flatbuffers::GetRoot<wire::TableInfo>(builder.GetBufferPointer()));
  REQUIRE(decoded.is_ok());
  CHECK(decoded->spec.sloppy_quorum);
}

TEST_CASE("WireApi runs admin operations through the node's hooks") {
  Rig rig;
  REQUIRE(rig.call(test::FlushArgs{}).is_ok());
  CHECK(rig.flushes == 1);
  auto ping = rig.call(test::PingArgs{});
  REQUIRE(ping.is_ok());
  CHECK(ping->uptime_ms == 1234);
}

namespace {

const ring::NodeId kTarget = ring::NodeId::from_words(0x0f1e2d3c4b5a4968, 0x8776655443322110);

// Hinted handoff stand-ins: a fixed status, and controls whose `done` runs when the test says
// (as the real ones run it later, on the replication io thread).
struct FakeHandoff {
  std::vector<std::pair<std::optional<ring::NodeId>, bool>> paused;  // (target, paused) calls.
  std::vector<std::optional<ring::NodeId>> truncated;
  std::vector<std::function<void()>> pending_done;

  HandoffOps ops() {
    HandoffOps ops;
    ops.status = [] {
      HandoffStatus status;
      HandoffTargetStatus target;
      target.target = kTarget;
      target.hints = 3;
      target.bytes = 900;
      target.oldest_created_wall_ms = 1'699'999'000'000;
      target.state = replication::TargetDeliveryState::kWaiting;
      target.liveness = "dead";
      status.targets.push_back(target);
      status.paused_all = true;
      status.stored = 10;
      status.delivered = 7;
      status.delivered_bytes = 2100;
      status.failed_attempts = 2;
      status.total_bytes = 900;
      status.dropped[static_cast<size_t>(replication::HintDropReason::kTruncated)] = 4;
      return status;
    };
    ops.repair_marks = [] {
      replication::RepairMark known{
          .table = 11, .bucket = 0, .range_start = 0, .range_end = (1ull << 56) - 1};
      known.reason = replication::HintDropReason::kTruncated;
      known.marked_wall_ms = 1'700'000'000'000;
      known.hints_dropped = 4;
      replication::RepairMark forgotten{
          .table = 99, .bucket = 255, .range_start = 0xffull << 56, .range_end = ~uint64_t{0}};
      return Result<std::vector<replication::RepairMark>>(
          std::vector<replication::RepairMark>{known, forgotten});
    };
    ops.table_name = [](replication::TableId id) {
      return id == 11 ? std::string("users") : std::string();
    };
    ops.set_paused = [this](std::optional<ring::NodeId> target, bool pause,
                            std::function<void()> done) {
      paused.emplace_back(target, pause);
      pending_done.push_back(std::move(done));
    };
    ops.truncate = [this](std::optional<ring::NodeId> target,
                          std::function<void(Result<uint64_t>)> done) {
      truncated.push_back(target);
      pending_done.push_back([done = std::move(done)] { done(uint64_t{5}); });
    };
    return ops;
  }

  void finish_all() {
    auto all = std::move(pending_done);
    pending_done.clear();
    for (auto& done : all) done();
  }
};

}  // namespace

TEST_CASE("WireApi: HandoffStatus reports targets, totals, drops by reason and repair ranges") {
  FakeHandoff fake;
  Rig rig(/*queued=*/false, fake.ops());
  auto status = rig.call(test::HandoffStatusArgs{});
  INFO(status.describe());
  REQUIRE(status.is_ok());
  REQUIRE(status->targets.size() == 1);
  const test::HandoffTargetInfo& target = status->targets[0];
  CHECK(target.node_id == "0f1e2d3c-4b5a-4968-8776-655443322110");
  CHECK(target.hints == 3);
  CHECK(target.bytes == 900);
  CHECK(target.oldest_created_wall_ms == 1'699'999'000'000);
  CHECK(target.state == "waiting");
  CHECK(target.liveness == "dead");
  CHECK(status->paused_all);
  CHECK(status->stored == 10);
  CHECK(status->delivered == 7);
  CHECK(status->delivered_bytes == 2100);
  CHECK(status->failed_attempts == 2);
  CHECK(status->total_bytes == 900);
  // Every reason, zeros included, in the enum's order.
  REQUIRE(status->dropped.size() == replication::kHintDropReasons);
  CHECK(status->dropped[0] == std::pair<std::string, uint64_t>("target_cap", 0));
  CHECK(status->dropped[3] == std::pair<std::string, uint64_t>("truncated", 4));
  REQUIRE(status->repair_ranges.size() == 2);
  CHECK(status->repair_ranges_total == 2);
  const test::RepairRangeInfo& known = status->repair_ranges[0];
  CHECK(known.table_id == 11);
  CHECK(known.table == "users");
  CHECK(known.range_start == 0);
  CHECK(known.range_end == (1ull << 56) - 1);
  CHECK(known.reason == "truncated");
  CHECK(known.marked_wall_ms == 1'700'000'000'000);
  CHECK(known.hints_dropped == 4);
  const test::RepairRangeInfo& forgotten = status->repair_ranges[1];
  CHECK(forgotten.table_id == 99);
  CHECK(forgotten.table.empty());  // The catalog no longer knows it.
  CHECK(forgotten.range_start == 0xffull << 56);
  CHECK(forgotten.range_end == ~uint64_t{0});
  CHECK(forgotten.reason == "target_cap");
}

TEST_CASE("WireApi: HandoffControl answers only once the handoff ran its done callback") {
  FakeHandoff fake;
  Rig rig(/*queued=*/false, fake.ops());
  auto pause = rig.send(test::HandoffControlArgs{.action = wire::HandoffAction::Pause,
                                                 .node_id = kTarget.to_string()});
  rig.stack.run_pending();
  REQUIRE(fake.paused.size() == 1);
  CHECK(fake.paused[0].first == kTarget);
  CHECK(fake.paused[0].second);
  CHECK_FALSE(pause->has_value());  // Not before the change took effect.
  fake.finish_all();
  REQUIRE(pause->has_value());
  auto paused = test::decode_reply<test::HandoffControlArgs>(test::frame_of(**pause));
  REQUIRE(paused.is_ok());
  CHECK(paused->affected == 0);

  auto resume = rig.send(test::HandoffControlArgs{.action = wire::HandoffAction::Resume});
  rig.stack.run_pending();
  fake.finish_all();
  REQUIRE(resume->has_value());
  CHECK(test::decode_reply<test::HandoffControlArgs>(test::frame_of(**resume)).is_ok());
  REQUIRE(fake.paused.size() == 2);
  CHECK_FALSE(fake.paused[1].first.has_value());  // Every target.
  CHECK_FALSE(fake.paused[1].second);

  auto truncate = rig.send(test::HandoffControlArgs{.action = wire::HandoffAction::Truncate});
  rig.stack.run_pending();
  CHECK_FALSE(truncate->has_value());
  fake.finish_all();
  REQUIRE(truncate->has_value());
  auto truncated = test::decode_reply<test::HandoffControlArgs>(test::frame_of(**truncate));
  REQUIRE(truncated.is_ok());
  CHECK(truncated->affected == 5);
  REQUIRE(fake.truncated.size() == 1);
  CHECK_FALSE(fake.truncated[0].has_value());
}

TEST_CASE("WireApi: HandoffControl refuses a malformed node id or a missing action") {
  FakeHandoff fake;
  Rig rig(/*queued=*/false, fake.ops());
  auto bad_id = rig.call(
      test::HandoffControlArgs{.action = wire::HandoffAction::Truncate, .node_id = "not-a-uuid"});
  CHECK(bad_id.error_code() == wire::ErrorCode::InvalidArgument);
  auto no_action = rig.call(test::HandoffControlArgs{});
  CHECK(no_action.error_code() == wire::ErrorCode::InvalidArgument);
  auto unknown_action =
      rig.call(test::HandoffControlArgs{.action = static_cast<wire::HandoffAction>(9)});
  CHECK(unknown_action.error_code() == wire::ErrorCode::InvalidArgument);
  CHECK(fake.paused.empty());
  CHECK(fake.truncated.empty());
}

TEST_CASE("WireApi without hinted handoff answers its opcodes NotSupported") {
  Rig rig;
  auto status = rig.call(test::HandoffStatusArgs{});
  REQUIRE(status.is_server_error());
  CHECK(status.error_code() == wire::ErrorCode::UnsupportedVersion);
  CHECK(status.error().message.find("hinted handoff") != std::string::npos);
  for (auto action :
       {wire::HandoffAction::Pause, wire::HandoffAction::Resume, wire::HandoffAction::Truncate}) {
    auto control = rig.call(test::HandoffControlArgs{.action = action});
    CHECK(control.error_code() == wire::ErrorCode::UnsupportedVersion);
  }
}

TEST_CASE("HandoffStatus lists at most kHandoffRepairRangesMax ranges and says how many exist") {
  std::vector<replication::RepairMark> marks(kHandoffRepairRangesMax + 44);
  for (size_t i = 0; i < marks.size(); ++i) {
    marks[i].table = i;
    marks[i].reason = replication::HintDropReason::kTableDropped;  // The longest name.
  }
  const TableNameOf longest_name = [](replication::TableId) {
    return std::string(replication::kTableNameBytesMax, 'n');
  };
  flatbuffers::FlatBufferBuilder builder;
  build_handoff_status(builder, HandoffStatus{}, marks, longest_name);
  CHECK(builder.GetSize() <= kHandoffRepairRangesMax * kRepairRangeWireBytesMax);
  const auto* response =
      flatbuffers::GetRoot<wire::HandoffStatusResponse>(builder.GetBufferPointer());
  REQUIRE(response->repair_ranges() != nullptr);
  CHECK(response->repair_ranges()->size() == kHandoffRepairRangesMax);
  CHECK(response->repair_ranges_total() == marks.size());
  CHECK(response->repair_ranges()->Get(0)->table_id() == 0);  // The first ones, in order.
  CHECK(response->repair_ranges()->Get(kHandoffRepairRangesMax - 1)->table_id() ==
        kHandoffRepairRangesMax - 1);
}

namespace {

// A RepairService stand-in: a fixed status, and run() whose `done` runs when the test says (as
// the real one runs it later, on the service's thread), answering the next id or `refusal`.
struct FakeRepair {
  std::vector<RepairRunRequest> runs;
  std::vector<std::function<void()>> pending_done;
  std::optional<Status> refusal;
  uint64_t next_id = 7;

  RepairOps ops() {
    RepairOps ops;
    ops.run = [this](RepairRunRequest request, std::function<void(Result<uint64_t>)> done) {
      runs.push_back(std::move(request));
      pending_done.push_back([this, done = std::move(done)] {
        if (refusal) return done(*refusal);
        done(next_id++);
      });
    };
    ops.status = [] {
      RepairStatus status;
      RepairSessionView session;
      session.table = "users";
      session.range = {100, 200};
      session.peers = {kTarget};
      session.progress = 0.25;
      session.stats.records_differing = 3;
      status.sessions.push_back(session);
      RepairJobView job;
      job.id = 7;
      job.table = "users";
      job.ranges_total = 4;
      job.ranges_done = 1;
      status.jobs.push_back(job);
      RepairRangeView range;
      range.table = "users";
      range.range = {0, 100};
      range.last_verified_wall_ms = 1'700'000'000'000;
      range.overdue = true;
      status.ranges.push_back(range);
      status.interval_ms = 3'600'000;
      status.rate_bytes_per_sec = 1 << 20;
      return status;
    };
    return ops;
  }

  void finish_all() {
    auto all = std::move(pending_done);
    pending_done.clear();
    for (auto& done : all) done();
  }
};

}  // namespace

TEST_CASE("WireApi: RepairRun passes the request on and answers the job id once it started") {
  FakeRepair fake;
  Rig rig(/*queued=*/false, {}, fake.ops());
  auto run = rig.send(test::RepairRunArgs{
      .table = "users", .range = std::pair<uint64_t, uint64_t>(10, 20), .full = true});
  rig.stack.run_pending();
  REQUIRE(fake.runs.size() == 1);
  CHECK(fake.runs[0].table == "users");
  REQUIRE(fake.runs[0].range.has_value());
  CHECK(*fake.runs[0].range == ring::TokenRange{10, 20});
  CHECK(fake.runs[0].full);
  CHECK_FALSE(run->has_value());  // Not before the service answered.
  fake.finish_all();
  REQUIRE(run->has_value());
  auto started = test::decode_reply<test::RepairRunArgs>(test::frame_of(**run));
  INFO(started.describe());
  REQUIRE(started.is_ok());
  CHECK(started->job_id == 7);

  auto all = rig.send(test::RepairRunArgs{});
  rig.stack.run_pending();
  fake.finish_all();
  REQUIRE(all->has_value());
  CHECK(test::decode_reply<test::RepairRunArgs>(test::frame_of(**all))->job_id == 8);
  REQUIRE(fake.runs.size() == 2);
  CHECK(fake.runs[1].table.empty());
  CHECK_FALSE(fake.runs[1].range.has_value());
  CHECK_FALSE(fake.runs[1].full);
}

TEST_CASE("WireApi: RepairRun answers the service's refusal, and refuses an empty range itself") {
  FakeRepair fake;
  fake.refusal = Status::table_not_found("no table nope");
  Rig rig(/*queued=*/false, {}, fake.ops());
  auto refused = rig.send(test::RepairRunArgs{.table = "nope"});
  rig.stack.run_pending();
  fake.finish_all();
  REQUIRE(refused->has_value());
  auto reply = test::decode_reply<test::RepairRunArgs>(test::frame_of(**refused));
  CHECK(reply.error_code() == wire::ErrorCode::TableNotFound);

  auto empty = rig.call(test::RepairRunArgs{.range = std::pair<uint64_t, uint64_t>(5, 5)});
  CHECK(empty.error_code() == wire::ErrorCode::InvalidArgument);
  CHECK(fake.runs.size() == 1);  // The empty range never reached the service.
}

TEST_CASE("WireApi: RepairStatus reports sessions, jobs, ranges and the schedule") {
  FakeRepair fake;
  Rig rig(/*queued=*/false, {}, fake.ops());
  auto status = rig.call(test::RepairStatusArgs{});
  INFO(status.describe());
  REQUIRE(status.is_ok());
  REQUIRE(status->sessions.size() == 1);
  CHECK(status->sessions[0].table == "users");
  CHECK(status->sessions[0].range_start == 100);
  CHECK(status->sessions[0].peers == std::vector<std::string>{kTarget.to_string()});
  CHECK(status->sessions[0].progress == 0.25);
  CHECK(status->sessions[0].records_differing == 3);
  REQUIRE(status->jobs.size() == 1);
  CHECK(status->jobs[0].id == 7);
  CHECK(status->jobs[0].state == "running");
  CHECK(status->jobs[0].ranges_total == 4);
  CHECK(status->jobs[0].ranges_done == 1);
  REQUIRE(status->ranges.size() == 1);
  CHECK(status->ranges[0].range_end == 100);
  CHECK(status->ranges[0].last_verified_wall_ms == 1'700'000'000'000);
  CHECK(status->ranges[0].overdue);
  CHECK_FALSE(status->ranges[0].marked);
  CHECK(status->ranges_total == 1);
  CHECK(status->interval_ms == 3'600'000);
  CHECK(status->rate_bytes_per_sec == 1u << 20);
}

TEST_CASE("WireApi without repair answers its opcodes NotSupported") {
  Rig rig;
  auto status = rig.call(test::RepairStatusArgs{});
  REQUIRE(status.is_server_error());
  CHECK(status.error_code() == wire::ErrorCode::UnsupportedVersion);
  CHECK(status.error().message.find("repair") != std::string::npos);
  auto run = rig.call(test::RepairRunArgs{.table = "users"});
  CHECK(run.error_code() == wire::ErrorCode::UnsupportedVersion);
}
