// A single-node storage stack on a FaultyEnv for the server's unit tests: engine, catalog,
// store and services with inline "blocking" work and a hand-driven wall clock.
#pragma once

#include <memory>
#include <optional>

#include "lsm_test_util.h"
#include "replication/item_compaction_filter.h"
#include "replication/replica_store.h"
#include "server/api/item_service.h"
#include "server/api/table_service.h"
#include "server/catalog/catalog.h"

namespace pairdb::server::testing {

// Runs a service call and returns its answer (the work runs inline, so it is ready at once).
template <typename T, typename Start>
Result<T> await_inline(Start start) {
  std::optional<Result<T>> answer;
  start([&answer](Result<T> result) { answer.emplace(std::move(result)); });
  REQUIRE(answer.has_value());
  return std::move(*answer);
}

struct Stack {
  lsm::FaultyEnv env;
  uint64_t now_ms = 1'700'000'000'000;
  std::shared_ptr<replication::ItemCompactionFilter> filter;
  std::unique_ptr<lsm::DB> db;
  std::unique_ptr<Catalog> catalog;
  replication::HybridClock clock;
  std::unique_ptr<replication::ReplicaStore> store;
  std::unique_ptr<ItemService> items;
  std::unique_ptr<TableService> tables;
  ring::NodeId self = ring::NodeId::from_words(1, 2);

  explicit Stack(ItemLimits limits = {}, uint64_t tombstone_grace_ms = 1000) {
    filter = std::make_shared<replication::ItemCompactionFilter>(tombstone_grace_ms,
                                                                 [this] { return now_ms; });
    open(limits);
  }

  void open(ItemLimits limits = {}) {
    lsm::Options options = lsm::testing::small_options(&env);
    options.compaction_filter = filter;
    db = lsm::testing::open_db(options);
    auto opened = Catalog::open(db.get(), 7);
    REQUIRE(opened.is_ok());
    catalog = std::move(opened).value();
    filter->attach(catalog.get());
    store = std::make_unique<replication::ReplicaStore>(db.get(), self);
    ItemServiceOptions item_options;
    item_options.limits = limits;
    item_options.run_blocking = [](std::function<void()> work) { work(); };
    item_options.wall_ms = [this] { return now_ms; };
    item_options.monotonic_now = [] { return Instant::from_us(0); };
    item_options.contexts = std::make_shared<replication::ContextAuthenticator>(
        std::vector<std::string>{std::string(32, 'k')});
    items = std::make_unique<ItemService>(item_options, catalog.get(), store.get(), &clock);
    tables = std::make_unique<TableService>(
        TableDefaults{}, catalog.get(), [](std::function<void()> work) { work(); },
        [this] { return now_ms; });
  }

  void close() {
    filter->attach(nullptr);
    items.reset();
    tables.reset();
    store.reset();
    catalog.reset();
    REQUIRE(db->close().is_ok());
    db.reset();
  }

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
};

}  // namespace pairdb::server::testing
