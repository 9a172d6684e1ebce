// Table administration requests (create, drop, list, describe), validated and applied to the
// catalog. Fills in the node's defaults for anything a create request leaves out.
// Thread-safe; callbacks run on a worker thread, exactly once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "server/api/item_service.h"
#include "server/catalog/catalog.h"

namespace pairdb::server {

struct TableDefaults {
  std::string dc = "dc1";
  uint32_t replication_factor = 3;
  replication::ConflictMode conflict_mode = replication::ConflictMode::kSiblings;
  uint32_t siblings_warn = replication::kSiblingsWarnDefault;
  uint32_t siblings_max = replication::kSiblingsMaxDefault;
};

// A create request: unset fields take the node's defaults.
struct CreateTableCommand {
  std::string name;
  std::string owner;
  std::vector<ring::DcReplication> replication;
  replication::Consistency read_consistency = replication::Consistency::kDefault;
  replication::Consistency write_consistency = replication::Consistency::kDefault;
  std::optional<replication::ConflictMode> conflict_mode;
  uint64_t default_ttl_ms = 0;
  uint32_t siblings_warn = 0;  // 0 = default.
  uint32_t siblings_max = 0;   // 0 = default.
  replication::ReadRepair read_repair = replication::ReadRepair::kBlocking;
  bool sloppy_quorum = true;  // Whether fallbacks' acks count toward the write level.
  bool if_not_exists = false;
};

class TableService {
 public:
  TableService(TableDefaults defaults, Catalog* catalog,
               std::function<void(std::function<void()>)> run_blocking,
               const Clock* clock);  // Stamps schema changes (wall time); must outlive.

  // The spec a create request resolves to, defaults applied (exposed for tests).
  replication::TableSpec resolve(const CreateTableCommand& command) const;

  void create(CreateTableCommand command, Reply<replication::TableInfo> done);
  void drop(std::string name, bool if_exists, Reply<replication::TableInfo> done);
  void list(Reply<std::vector<replication::TableInfo>> done);
  void describe(std::string name, Reply<replication::TableInfo> done);

 private:
  const TableDefaults defaults_;
  Catalog* const catalog_;
  const std::function<void(std::function<void()>)> run_blocking_;
  const Clock* const clock_;
};

}  // namespace pairdb::server
