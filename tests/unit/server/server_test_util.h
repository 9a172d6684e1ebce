// A single-node storage stack on a FaultyEnv for the server's unit tests: the daemon's own
// StorageStack, with inline "blocking" work and a hand-driven clock.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "lsm_test_util.h"
#include "replication/cluster_view.h"
#include "server/storage_stack.h"

namespace pairdb::server::testing {

// Runs a service call and returns its answer (the work runs inline, so it is ready at once).
template <typename T, typename Start>
Result<T> await_inline(Start start) {
  std::optional<Result<T>> answer;
  start([&answer](Result<T> result) { answer.emplace(std::move(result)); });
  REQUIRE(answer.has_value());
  return std::move(*answer);
}

// The ClusterView member for a node alone in its view.
inline replication::ClusterMember self_member(ring::NodeId id) {
  replication::ClusterMember m;
  m.id = id;
  m.is_self = true;
  return m;
}

struct Stack {
  lsm::FaultyEnv env;
  ManualClock clock;  // Wall time starts at 1'700'000'000'000 ms; tests move it.
  std::unique_ptr<StorageStack> storage;
  ItemService* items = nullptr;
  TableService* tables = nullptr;
  ring::NodeId self = ring::NodeId::from_words(1, 2);
  std::deque<std::function<void()>> pending;

  // queued: storage work waits in `pending` until run_pending() (else it runs inline, at once).
  explicit Stack(ItemLimits limits = {}, uint64_t tombstone_grace_ms = 1000, bool queued = false)
      : limits_(limits), tombstone_grace_ms_(tombstone_grace_ms), queued_(queued) {
    open();
  }

  // Runs the queued storage work, in order, including work it queues. Returns how much ran.
  size_t run_pending() {
    size_t ran = 0;
    while (!pending.empty()) {
      auto work = std::move(pending.front());
      pending.pop_front();
      work();
      ++ran;
    }
    return ran;
  }

  void open() {
    StorageStackOptions options;
    options.db_path = "/db";
    options.engine = lsm::testing::small_options(&env);
    options.node_id = self;
    options.purge.grace_max_ms = tombstone_grace_ms_;
    options.catalog_seed = 7;
    options.limits = limits_;
    options.run_blocking = [this](std::function<void()> work) {
      if (queued_) {
        pending.push_back(std::move(work));
      } else {
        work();
      }
    };
    options.clock = &clock;
    options.contexts = std::make_shared<replication::ContextAuthenticator>(
        std::vector<std::string>{std::string(32, 'k')});
    auto opened = StorageStack::open(std::move(options));
    INFO(opened.status().to_string());
    REQUIRE(opened.is_ok());
    storage = std::move(opened).value();
    items = storage->items();
    tables = storage->tables();
  }

  void close() {
    items = nullptr;
    tables = nullptr;
    REQUIRE(storage->close().is_ok());
    storage.reset();
  }

  lsm::DB* db() const { return storage->db(); }
  Catalog* catalog() const { return storage->catalog(); }
  replication::ReplicaStore* store() const { return storage->store(); }

  replication::TableInfo create_table(
      const std::string& name,
      replication::ConflictMode mode = replication::ConflictMode::kSiblings) {
    CreateTableCommand command;
    command.name = name;
    command.conflict_mode = mode;
    auto info = await_inline<replication::TableInfo>(
        [&](Reply<replication::TableInfo> done) { tables->create(command, std::move(done)); });
    INFO(info.status().to_string());
    REQUIRE(info.is_ok());
    return *info;
  }

  Result<WriteReply> put(const std::string& table, const std::string& pk, const std::string& value,
                         std::string context = {}, std::string sort_key = {}) {
    WriteCommand command;
    command.key = {table, pk, std::move(sort_key)};
    command.value = value;
    command.content_type = "text/plain";
    command.context = std::move(context);
    return await_inline<WriteReply>(
        [&](Reply<WriteReply> done) { items->write(command, Instant::max(), std::move(done)); });
  }

  Result<WriteReply> write(WriteCommand command) {
    return await_inline<WriteReply>(
        [&](Reply<WriteReply> done) { items->write(command, Instant::max(), std::move(done)); });
  }

  Result<ItemReply> get(const std::string& table, const std::string& pk,
                        std::string sort_key = {}) {
    ReadCommand command{{table, pk, std::move(sort_key)}, replication::Consistency::kDefault};
    return await_inline<ItemReply>(
        [&](Reply<ItemReply> done) { items->read(command, Instant::max(), std::move(done)); });
  }

  Result<QueryReply> query(QueryCommand command) {
    return await_inline<QueryReply>(
        [&](Reply<QueryReply> done) { items->query(command, Instant::max(), std::move(done)); });
  }

 private:
  ItemLimits limits_;
  uint64_t tombstone_grace_ms_;
  bool queued_;
};

}  // namespace pairdb::server::testing