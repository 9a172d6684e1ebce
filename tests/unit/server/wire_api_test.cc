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

  explicit Rig(bool queued = false)
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
