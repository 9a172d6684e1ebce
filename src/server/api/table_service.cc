#include "server/api/table_service.h"

#include "common/assert.h"

namespace pairdb::server {

TableService::TableService(TableDefaults defaults, Catalog* catalog,
                           std::function<void(std::function<void()>)> run_blocking,
                           const Clock* clock)
    : defaults_(std::move(defaults)),
      catalog_(catalog),
      run_blocking_(std::move(run_blocking)),
      clock_(clock) {
  PAIRDB_ASSERT(catalog_ != nullptr);
  PAIRDB_ASSERT(run_blocking_ && clock_ != nullptr);
}

replication::TableSpec TableService::resolve(const CreateTableCommand& command) const {
  using replication::Consistency;
  replication::TableSpec spec;
  spec.name = command.name;
  spec.owner = command.owner;
  spec.replication = command.replication;
  if (spec.replication.empty()) {
    spec.replication.push_back({defaults_.dc, defaults_.replication_factor});
  }
  spec.read_consistency = command.read_consistency == Consistency::kDefault
                              ? Consistency::kQuorum
                              : command.read_consistency;
  spec.write_consistency = command.write_consistency == Consistency::kDefault
                               ? Consistency::kQuorum
                               : command.write_consistency;
  spec.conflict_mode = command.conflict_mode.value_or(defaults_.conflict_mode);
  spec.default_ttl_ms = command.default_ttl_ms;
  spec.read_repair = command.read_repair;
  spec.sloppy_quorum = command.sloppy_quorum;
  spec.siblings_max = command.siblings_max != 0 ? command.siblings_max : defaults_.siblings_max;
  spec.siblings_warn = command.siblings_warn != 0
                           ? command.siblings_warn
                           : std::min(defaults_.siblings_warn, spec.siblings_max);
  return spec;
}

void TableService::create(CreateTableCommand command, Reply<replication::TableInfo> done) {
  run_blocking_([this, command = std::move(command), done = std::move(done)] {
    done(catalog_->create(resolve(command), command.if_not_exists, clock_->wall_ms()));
  });
}

void TableService::drop(std::string name, bool if_exists, Reply<replication::TableInfo> done) {
  run_blocking_([this, name = std::move(name), if_exists, done = std::move(done)] {
    done(catalog_->drop(name, if_exists));
  });
}

void TableService::list(Reply<std::vector<replication::TableInfo>> done) {
  run_blocking_([this, done = std::move(done)] { done(catalog_->list()); });
}

void TableService::describe(std::string name, Reply<replication::TableInfo> done) {
  run_blocking_([this, name = std::move(name), done = std::move(done)] {
    auto table = catalog_->require(name);
    if (!table.is_ok()) {
      done(table.status());
      return;
    }
    done(**table);
  });
}

}  // namespace pairdb::server
