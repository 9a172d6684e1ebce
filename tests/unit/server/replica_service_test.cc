// The replica side of the internode protocol over two real storage stacks: a record read from
// one replica and written to another is merged there (once), a partition's records page across
// with dead ones included, and what is malformed or unknown is refused and changes nothing.
#include <catch2/catch.hpp>

#include "net/wire.h"
#include "server/cluster/replica_service.h"
#include "server_test_util.h"
#include "support/frame_bytes.h"

using namespace pairdb;
using namespace pairdb::server;
using pairdb::server::testing::Stack;
namespace internode = pairdb::net::internode;

namespace {

// Two replicas that agree on the table catalog (as schema sync would leave them).
struct Pair {
  Stack a;
  Stack b;
  ReplicaService service_a{a.catalog(), a.store(), &a.clock};
  ReplicaService service_b{b.catalog(), b.store(), &b.clock};
  replication::TableId table = 0;

  Pair() {
    table = a.create_table("users").id;
    REQUIRE(b.catalog()->merge(a.catalog()->state()).is_ok());
    REQUIRE(b.catalog()->find_by_id(table) != nullptr);
  }

  internode::ItemKey key(std::string pk, std::string sk = {}) const {
    return {table, std::move(pk), std::move(sk)};
  }
};

template <typename T>
T as(const internode::Response& response) {
  if (const auto* error = std::get_if<internode::InternodeError>(&response)) {
    FAIL("refused: " << error->message);
  }
  REQUIRE(std::holds_alternative<T>(response));
  return std::get<T>(response);
}

uint16_t error_code(const internode::Response& response) {
  REQUIRE(std::holds_alternative<internode::InternodeError>(response));
  return std::get<internode::InternodeError>(response).code;
}

}  // namespace

TEST_CASE("a replica's record, written to another replica, is merged there once") {
  Pair p;
  REQUIRE(p.a.put("users", "alice", "v1").is_ok());
  const auto& read =
      as<internode::ReplicaReadReply>(p.service_a.handle(internode::ReplicaRead{p.key("alice")}));
  REQUIRE_FALSE(read.record.empty());

  const internode::ReplicaWrite write{p.key("alice"), read.record, false};
  CHECK(as<internode::ReplicaWriteReply>(p.service_b.handle(write)).changed);
  CHECK_FALSE(as<internode::ReplicaWriteReply>(p.service_b.handle(write)).changed);  // A join.
  CHECK(p.service_b.merges_changed() == 1);
  CHECK(p.service_b.merges_unchanged() == 1);

  auto on_a = p.a.store()->read({p.table, "alice", ""});
  auto on_b = p.b.store()->read({p.table, "alice", ""});
  REQUIRE(on_a.is_ok());
  REQUIRE(on_b.is_ok());
  CHECK(*on_a == *on_b);
  CHECK(replication::record_digest(*on_a) == replication::record_digest(*on_b));

  // A key the replica never saw reads as empty bytes.
  CHECK(as<internode::ReplicaReadReply>(p.service_b.handle(internode::ReplicaRead{p.key("bob")}))
            .record.empty());
}

TEST_CASE("a malformed record or an unknown table is refused and changes nothing") {
  Pair p;
  const auto bad =
      p.service_b.handle(internode::ReplicaWrite{p.key("alice"), "not a record", false});
  CHECK(error_code(bad) == static_cast<uint16_t>(net::error_code_for(StatusCode::kCorruption)));
  CHECK(as<internode::ReplicaReadReply>(p.service_b.handle(internode::ReplicaRead{p.key("alice")}))
            .record.empty());

  const internode::ItemKey unknown{p.table + 1, "alice", ""};
  CHECK(error_code(p.service_b.handle(internode::ReplicaRead{unknown})) ==
        static_cast<uint16_t>(wire::ErrorCode::TableNotFound));
  CHECK(error_code(p.service_b.handle(internode::Handshake{})) ==
        static_cast<uint16_t>(wire::ErrorCode::InvalidArgument));

  // A frame whose payload does not verify gets an error frame on its stream.
  net::Frame garbage =
      test::frame_of(internode::encode_request(5, internode::ReplicaRead{p.key("x")}));
  garbage.payload = std::string(32, '\xee');
  const net::Frame answer = test::frame_of(p.service_b.handle_frame(garbage));
  CHECK(answer.header.stream_id == 5);
  CHECK(answer.header.is_error());
  auto decoded = internode::decode_response(answer);
  REQUIRE(decoded.is_ok());
  CHECK(std::holds_alternative<internode::InternodeError>(*decoded));
}

TEST_CASE("a range read pages a partition's records in order, deleted items included") {
  Pair p;
  for (const char* sk : {"a", "b", "c"}) REQUIRE(p.a.put("users", "pk", "v", "", sk).is_ok());
  auto seen = p.a.get("users", "pk", "b");  // A delete replaces what its context saw.
  REQUIRE(seen.is_ok());
  WriteCommand del;
  del.key = {"users", "pk", "b"};
  del.tombstone = true;
  del.context = seen->context;
  REQUIRE(p.a.write(del).is_ok());

  internode::RangeRead first{p.table, "pk", std::nullopt, std::nullopt, std::nullopt, 2};
  const auto page1 = as<internode::RangeReadReply>(p.service_a.handle(first));
  REQUIRE(page1.items.size() == 2);
  CHECK(page1.items[0].sort_key == "a");
  CHECK(page1.items[1].sort_key == "b");  // The deleted item: its tombstone travels.
  auto tombstone = replication::decode_record(page1.items[1].record);
  REQUIRE(tombstone.is_ok());
  CHECK_FALSE(replication::visible(*tombstone, p.a.clock.wall_ms()).found());
  REQUIRE(page1.resume_after == std::optional<std::string>("b"));

  internode::RangeRead next = first;
  next.after_sort_key = page1.resume_after;
  const auto page2 = as<internode::RangeReadReply>(p.service_a.handle(next));
  REQUIRE(page2.items.size() == 1);
  CHECK(page2.items[0].sort_key == "c");
  CHECK_FALSE(page2.resume_after.has_value());
}

TEST_CASE("a range read of large values stops at its byte budget and resumes there") {
  Pair p;
  const std::string big(1u << 20, 'x');  // The largest value a client may write.
  for (char sk = 'a'; sk <= 'l'; ++sk) {
    REQUIRE(p.a.put("users", "pk", big, "", std::string(1, sk)).is_ok());
  }
  internode::RangeRead all{p.table, "pk", std::nullopt, std::nullopt, std::nullopt, 100};
  const auto page1 = as<internode::RangeReadReply>(p.service_a.handle(all));
  // 12 values of 1 MiB: the page ends once it holds kRangeReadBytesMax, and says where.
  REQUIRE(page1.items.size() == kRangeReadBytesMax / big.size());
  REQUIRE(page1.resume_after == page1.items.back().sort_key);
  internode::RangeRead rest = all;
  rest.after_sort_key = page1.resume_after;
  const auto page2 = as<internode::RangeReadReply>(p.service_a.handle(rest));
  CHECK(page1.items.size() + page2.items.size() == 12);
  CHECK_FALSE(page2.resume_after.has_value());
}

TEST_CASE("a replica read memory can answer is answered from memory, and only then") {
  Pair p;
  REQUIRE(p.a.put("users", "alice", "v1").is_ok());
  const internode::ReplicaRead alice{p.key("alice")};
  const auto full = as<internode::ReplicaReadReply>(p.service_a.handle(alice));
  // In the memtable: the same answer as handle()'s, without the disk.
  auto from_memory = p.service_a.answer_from_memory(alice);
  REQUIRE(from_memory.has_value());
  CHECK(as<internode::ReplicaReadReply>(*from_memory).record == full.record);
  CHECK(p.a.store()->memory_reads_answered() == 1);

  // In a table: left to handle(), which still reads it.
  REQUIRE(p.a.db()->flush().is_ok());
  CHECK_FALSE(p.service_a.answer_from_memory(alice).has_value());
  CHECK(p.a.store()->memory_reads_deferred() == 1);
  CHECK(as<internode::ReplicaReadReply>(p.service_a.handle(alice)).record == full.record);

  // Writes, and refusals, are never answered from memory.
  CHECK_FALSE(
      p.service_b.answer_from_memory(internode::ReplicaWrite{p.key("alice"), full.record, false})
          .has_value());
  CHECK_FALSE(
      p.service_a.answer_from_memory(internode::ReplicaRead{{999, "alice", ""}}).has_value());
}
