// RepairSession against RepairResponders over in-memory stores: replicas that differ converge to
// the join of their records, the records exchanged track the records that differed, and lost
// messages, refusals and pacing only delay the session.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <pairdb/replication/storage_key.h>

#include "replication/repair_responder.h"
#include "replication/repair_session.h"
#include "replication_test_util.h"

namespace pairdb::replication {
namespace {

using testing::apply_ok;
using testing::node;
using testing::put_write;

constexpr TableId kTable = 9;

// A replica's store as a sorted map of storage key -> encoded record.
class MapStorage final : public RepairStorage {
 public:
  Status scan(TableId table, const ring::TokenRange& range,
              const RepairRecordVisitor& visit) override {
    for (const auto& [begin, end] : repair_key_spans(table, range)) {
      for (auto it = records.lower_bound(begin); it != records.end() && it->first < end; ++it) {
        PAIRDB_TRY(visit(token_of_key(it->first).value(), it->first, it->second));
      }
    }
    return Status::ok();
  }
  Result<std::optional<std::string>> read(std::string_view key) override {
    auto it = records.find(std::string(key));
    if (it == records.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<bool> merge(std::string_view key, std::string_view record, ConflictMode mode) override {
    PAIRDB_ASSIGN_OR_RETURN(VersionRecord incoming, decode_record(record));
    VersionRecord current;
    auto it = records.find(std::string(key));
    if (it != records.end()) current = decode_record(it->second).value();
    const VersionRecord joined = replication::merge(current, incoming, mode);
    if (joined == current && it != records.end()) return false;
    records[std::string(key)] = encode_record(joined);
    return true;
  }
  Status sync() override {
    ++syncs;
    return Status::ok();
  }

  std::map<std::string, std::string> records;
  int syncs = 0;
};

class Listener final : public RepairListener {
 public:
  Status on_repair_done(const RepairDoneRequest& done) override {
    notices.push_back(done);
    return Status::ok();
  }
  std::vector<RepairDoneRequest> notices;
};

struct Replica {
  ring::NodeId id;
  MapStorage storage;
  Listener listener;
  std::unique_ptr<RepairResponder> responder;
};

std::string key_of(int i) { return encode_item_key(kTable, "pk-" + std::to_string(i), ""); }

std::string record_of(int i, uint64_t writer, const std::string& value) {
  return encode_record(apply_ok({}, put_write(value), node(writer), 1000 + i).record);
}

// Runs a session from replica 0 to completion, delivering each request to its peer unless
// `drop` says to lose it. Returns the number of requests sent.
struct Harness {
  std::vector<std::unique_ptr<Replica>> replicas;
  std::mt19937_64 rng{1};
  double loss = 0;
  Instant now = Instant::from_us(1'000'000);
  size_t sends = 0;

  explicit Harness(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto r = std::make_unique<Replica>();
      r->id = node(100 + i);
      r->responder = std::make_unique<RepairResponder>(
          &r->storage,
          [](TableId t) -> std::optional<ConflictMode> {
            if (t == kTable) return ConflictMode::kSiblings;
            return std::nullopt;
          },
          &r->listener);
      replicas.push_back(std::move(r));
    }
  }

  Replica& by_id(const ring::NodeId& id) {
    for (auto& r : replicas) {
      if (r->id == id) return *r;
    }
    FAIL("unknown node");
    return *replicas[0];
  }

  RepairTask task(ring::TokenRange range = {0, 0}) {
    RepairTask t;
    t.session_id = 77;
    t.table = kTable;
    t.range = range;
    t.self = replicas[0]->id;
    for (size_t i = 1; i < replicas.size(); ++i) t.peers.push_back(replicas[i]->id);
    t.started_wall_ms = 5000;
    return t;
  }

  void run(RepairSession& session) {
    RepairOutbox out;
    session.start(now, out);
    for (int steps = 0; steps < 100000 && !session.finished(); ++steps) {
      std::vector<RepairSend> batch = std::move(out.sends);
      const Instant tick = out.next_tick;
      out.clear();
      if (batch.empty()) {
        REQUIRE(tick != Instant::max());
        now = std::max(now, tick);
        session.tick(now, out);
        continue;
      }
      for (RepairSend& send : batch) {
        ++sends;
        if (std::uniform_real_distribution<>(0, 1)(rng) < loss) continue;  // Lost on the way.
        auto reply = by_id(send.to).responder->handle(send.request, now);
        now = now + std::chrono::microseconds(100);
        if (std::uniform_real_distribution<>(0, 1)(rng) < loss) continue;  // Reply lost.
        session.on_reply(send.request_id, std::move(reply), now, out);
      }
      // Nothing came back (lost): the deadline the session asked for still stands.
      if (out.sends.empty() && out.next_tick == Instant::max()) out.next_tick = tick;
      if (out.sends.empty() && out.next_tick != Instant::max() && !session.finished()) {
        now = std::max(now, out.next_tick);
        RepairOutbox more;
        session.tick(now, more);
        out.sends.insert(out.sends.end(), more.sends.begin(), more.sends.end());
        out.next_tick = more.next_tick;
      }
    }
    REQUIRE(session.finished());
  }
};

TEST_CASE("identical replicas exchange only their roots", "[replication][repair]") {
  Harness h(3);
  for (int i = 0; i < 500; ++i) {
    for (auto& r : h.replicas) r->storage.records[key_of(i)] = record_of(i, 1, "v");
  }
  RepairSession session(h.task(), &h.replicas[0]->storage);
  h.run(session);
  REQUIRE(session.status().is_ok());
  CHECK(session.stats().records_differing == 0);
  CHECK(session.stats().records_fetched == 0);
  CHECK(session.stats().records_pushed == 0);
  // Peer 1, peer 2; peer 1 again is skipped: nothing was joined here since it was compared.
  CHECK(session.stats().syncs_done == 3);
  CHECK(session.stats().syncs_skipped == 1);
  // 2 root comparisons and 2 notices.
  CHECK(h.sends == 4);
  for (size_t i = 1; i < 3; ++i) {
    REQUIRE(h.replicas[i]->listener.notices.size() == 1);
    CHECK(h.replicas[i]->listener.notices[0].started_wall_ms == 5000);
    CHECK(h.replicas[i]->listener.notices[0].replicas.size() == 3);
  }
}

TEST_CASE("replicas with scattered differences converge to the join", "[replication][repair]") {
  testing::for_each_seed(20, [](uint64_t seed) {
    Harness h(3);
    std::mt19937_64 rng(seed);
    const int keys = 2000;
    std::map<std::string, VersionRecord> expected;
    size_t differing = 0;
    for (int i = 0; i < keys; ++i) {
      const std::string base = record_of(i, 1, "v");
      bool differs = false;
      for (size_t r = 0; r < 3; ++r) {
        const int roll = static_cast<int>(rng() % 1000);
        if (roll < 5) {  // Missing here.
          differs = true;
          continue;
        }
        if (roll < 10) {  // A concurrent version only this replica holds.
          differs = true;
          h.replicas[r]->storage.records[key_of(i)] = encode_record(replication::merge(
              decode_record(base).value(), decode_record(record_of(i, 10 + r, "x")).value(),
              ConflictMode::kSiblings));
          continue;
        }
        h.replicas[r]->storage.records[key_of(i)] = base;
      }
      differing += differs;
      VersionRecord join;
      for (size_t r = 0; r < 3; ++r) {
        auto it = h.replicas[r]->storage.records.find(key_of(i));
        if (it != h.replicas[r]->storage.records.end()) {
          join =
              replication::merge(join, decode_record(it->second).value(), ConflictMode::kSiblings);
        }
      }
      if (!join.siblings.empty()) expected[key_of(i)] = join;
    }
    h.loss = seed % 2 == 0 ? 0.05 : 0;
    RepairSessionConfig config;
    config.request_timeout = std::chrono::milliseconds(50);
    config.attempts_max = 50;
    RepairSession session(h.task(), &h.replicas[0]->storage, config);
    h.run(session);
    REQUIRE(session.status().is_ok());
    for (auto& r : h.replicas) {
      REQUIRE(r->storage.records.size() == expected.size());
      for (const auto& [key, record] : expected) {
        CHECK(decode_record(r->storage.records.at(key)).value() == record);
      }
    }
    // Records moved: each differing key at most a few times (fetched once, pushed to each peer
    // in each pass), never the whole data set.
    const RepairSessionStats& s = session.stats();
    INFO("differing " << differing << " fetched " << s.records_fetched << " pushed "
                      << s.records_pushed);
    CHECK(s.records_fetched + s.records_pushed <= 4 * differing);
    CHECK(s.records_fetched + s.records_pushed >= differing);
  });
}

TEST_CASE("the second pass revisits a peer only when the initiator learned something after it",
          "[replication][repair]") {
  for (size_t holder : {size_t{1}, size_t{2}}) {
    INFO("the replica holding extra records: " << holder);
    Harness h(3);
    for (int i = 0; i < 400; ++i) {
      for (auto& r : h.replicas) r->storage.records[key_of(i)] = record_of(i, 1, "v");
    }
    for (int i = 400; i < 450; ++i) {
      h.replicas[holder]->storage.records[key_of(i)] = record_of(i, 1, "extra");
    }
    RepairSession session(h.task(), &h.replicas[0]->storage);
    h.run(session);
    REQUIRE(session.status().is_ok());
    // Peer 1 first, then peer 2. What peer 1 holds is learned before peer 2 is compared (and
    // pushed to it there): peer 1 needs no second look. What peer 2 holds is learned after peer
    // 1 was compared: peer 1 is compared again and gets it.
    CHECK(session.stats().syncs_skipped == (holder == 1 ? 1u : 0u));
    CHECK(session.stats().syncs_done == 3);
    for (auto& r : h.replicas) CHECK(r->storage.records == h.replicas[0]->storage.records);
    CHECK(h.replicas[0]->storage.records.size() == 450);
  }
}

TEST_CASE("an empty replica receives everything, and a second run moves nothing",
          "[replication][repair]") {
  Harness h(2);
  for (int i = 0; i < 3000; ++i) h.replicas[1]->storage.records[key_of(i)] = record_of(i, 1, "v");
  {
    RepairSession session(h.task(), &h.replicas[0]->storage);
    h.run(session);
    REQUIRE(session.status().is_ok());
    CHECK(session.stats().records_fetched == 3000);
    CHECK(session.stats().records_pushed == 0);
    CHECK(h.replicas[0]->storage.records == h.replicas[1]->storage.records);
    CHECK(h.replicas[0]->storage.syncs == 1);  // Synced before telling the peer.
  }
  h.sends = 0;
  RepairTask again = h.task();
  again.session_id = 78;
  RepairSession second(again, &h.replicas[0]->storage);
  h.run(second);
  REQUIRE(second.status().is_ok());
  CHECK(second.stats().records_fetched + second.stats().records_pushed == 0);
  CHECK(h.sends == 2);  // The root, and the notice.
}

TEST_CASE("only the session's range is compared", "[replication][repair]") {
  Harness h(2);
  for (int i = 0; i < 1000; ++i) h.replicas[1]->storage.records[key_of(i)] = record_of(i, 1, "v");
  const ring::TokenRange lower_half{0xffffffffffffffffULL, 0x7fffffffffffffffULL};
  RepairSession session(h.task(lower_half), &h.replicas[0]->storage);
  h.run(session);
  REQUIRE(session.status().is_ok());
  for (const auto& [key, record] : h.replicas[1]->storage.records) {
    const bool inside = lower_half.contains(token_of_key(key).value());
    CHECK(h.replicas[0]->storage.records.contains(key) == inside);
  }
}

TEST_CASE("a peer that never answers fails the session with a timeout", "[replication][repair]") {
  Harness h(2);
  h.loss = 1.0;
  RepairSessionConfig config;
  config.request_timeout = std::chrono::milliseconds(10);
  config.attempts_max = 3;
  RepairSession session(h.task(), &h.replicas[0]->storage, config);
  h.run(session);
  CHECK(session.status().code() == StatusCode::kTimeout);
  CHECK(h.sends == 3);
  CHECK(h.replicas[1]->listener.notices.empty());
}

TEST_CASE("a peer that does not know the table fails the session", "[replication][repair]") {
  Harness h(2);
  RepairTask t = h.task();
  t.table = kTable + 1;
  RepairSession session(t, &h.replicas[0]->storage);
  h.run(session);
  CHECK(session.status().code() == StatusCode::kTableNotFound);
}

TEST_CASE("the byte rate paces the session", "[replication][repair]") {
  Harness h(2);
  for (int i = 0; i < 2000; ++i) h.replicas[1]->storage.records[key_of(i)] = record_of(i, 1, "v");
  RepairSessionConfig config;
  config.rate_bytes_per_sec = 100'000;
  config.fetch_bytes_max = 16 * 1024;
  const Instant began = h.now;
  RepairSession session(h.task(), &h.replicas[0]->storage, config);
  h.run(session);
  REQUIRE(session.status().is_ok());
  const double seconds = std::chrono::duration<double>(h.now - began).count();
  const double bytes =
      static_cast<double>(session.stats().bytes_sent + session.stats().bytes_received);
  INFO("bytes " << bytes << " in " << seconds << " s");
  // One second of burst, then the rate.
  CHECK(bytes <= 100'000 * (seconds + 1) + 32 * 1024);
  CHECK(seconds >= bytes / 100'000 - 1.5);
}

TEST_CASE("the responder refuses malformed requests", "[replication][repair]") {
  Harness h(1);
  RepairResponder& r = *h.replicas[0]->responder;
  RepairScope scope{1, 2, kTable, {0, 0}, 3};
  CHECK(r.handle(RepairTreeRequest{scope, {0}}, h.now).status().is_invalid_argument());
  CHECK(r.handle(RepairTreeRequest{scope, {16}}, h.now).status().is_invalid_argument());
  CHECK(r.handle(RepairLeavesRequest{scope, {8}}, h.now).status().is_invalid_argument());
  RepairScope deep = scope;
  deep.depth = kMerkleDepthMax + 1;
  CHECK(r.handle(RepairTreeRequest{deep, {1}}, h.now).status().is_invalid_argument());
  RepairPushRequest push;
  push.table = kTable;
  push.items.push_back({encode_item_key(kTable + 1, "pk", ""), record_of(1, 1, "v")});
  CHECK(r.handle(push, h.now).status().is_invalid_argument());
  push.items[0] = {key_of(1), "not a record"};
  CHECK(r.handle(push, h.now).status().is_corruption());
  CHECK(h.replicas[0]->storage.records.empty());
}

}  // namespace
}  // namespace pairdb::replication
