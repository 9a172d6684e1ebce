// The binary protocol's request handlers: verifies each request payload, turns it into a
// service command, and encodes the service's answer (or error) as a response frame.
// Thread-safe: handle() may be called from any io thread; answers are produced on worker
// threads and handed to the connection's responder.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "net/binary_server.h"
#include "net/frame.h"
#include "replication/cluster_view.h"
#include "server/api/item_service.h"
#include "server/api/table_service.h"
#include "server/catalog/catalog.h"
#include "server/wire/wire_handoff.h"
#include "server/wire/wire_repair.h"

namespace pairdb::server {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// What the node tells clients about itself, and the admin operations it runs.
struct NodeFacts {
  std::string node_id;
  std::string cluster_name;
  std::string server_version;
  std::string address;       // Binary protocol host:port, as clients should dial it.
  std::string http_address;  // HTTP host:port.
  std::string dc;
  std::string rack;
  std::vector<uint64_t> tokens;
};

struct AdminOps {
  std::function<uint64_t()> uptime_ms;
  std::function<uint64_t()> load_bytes;
  std::function<KeyValues()> info;
  std::function<Result<KeyValues>(const std::string& table)> table_stats;
  std::function<Status()> flush;
  std::function<Status(const std::string& table)> compact;  // Empty table = everything.
  std::function<CatalogState()> schema_state;               // For SchemaPull.
  std::function<uint64_t()> schema_digest;
};

// Hinted handoff's operator view and controls (HandoffStatus, HandoffControl), from the node's
// HintedHandoff and HintStore. Any member may be null: the opcodes that need it then answer
// NotSupported (a WireApi over storage alone, as in tests, has none).
struct HandoffOps {
  std::function<HandoffStatus()> status;  // May read the hint store: called on a worker.
  std::function<Result<std::vector<replication::RepairMark>>()> repair_marks;  // Likewise.
  TableNameOf table_name;  // Null: repair ranges carry table ids only.
  // Each calls `done` exactly once, on any thread, after the change took effect.
  std::function<void(std::optional<ring::NodeId> target, bool paused, std::function<void()> done)>
      set_paused;
  std::function<void(std::optional<ring::NodeId> target,
                     std::function<void(Result<uint64_t> truncated)> done)>
      truncate;
};

// Anti-entropy repair's on-demand jobs and operator view (RepairRun, RepairStatus), from the
// node's RepairService. Either member may be null: its opcode then answers NotSupported.
struct RepairOps {
  // Starts a job; calls `done` exactly once, on any thread, with the job's id or why it cannot
  // start. The job runs on after `done`.
  std::function<void(RepairRunRequest request, std::function<void(Result<uint64_t> job_id)> done)>
      run;
  std::function<RepairStatus()> status;  // Called on a worker.
};

struct WireApiDeps {
  ItemService* items = nullptr;
  TableService* tables = nullptr;
  replication::ClusterView* cluster =
      nullptr;  // Membership and ring: Topology, Status and the like.
  NodeFacts facts;
  AdminOps admin;
  HandoffOps handoff;
  RepairOps repair;
  uint32_t max_frame_bytes = net::kDefaultMaxFrameBytes;
  uint32_t request_timeout_ms = 10'000;
  std::function<void(std::function<void()>)> run_blocking;
  const Clock* clock = nullptr;  // Deadlines and latencies (monotonic); must outlive.
  // Called once per request with its opcode name, outcome and latency.
  std::function<void(std::string_view op, StatusCode code, uint64_t micros)> observe;
};

class WireApi {
 public:
  explicit WireApi(WireApiDeps deps);
  // REQUIRES: net::check_request(request) found nothing wrong (BinaryServer checks every frame).
  void handle(net::Frame request, net::FrameResponder respond);

 private:
  struct Call;
  void handle_connection(const std::shared_ptr<Call>& call);
  void handle_items(const std::shared_ptr<Call>& call);
  void handle_tables(const std::shared_ptr<Call>& call);
  void handle_admin(const std::shared_ptr<Call>& call);
  void handoff_status(const std::shared_ptr<Call>& call);
  void handoff_control(const std::shared_ptr<Call>& call);
  void repair_run(const std::shared_ptr<Call>& call);
  void repair_status(const std::shared_ptr<Call>& call);
  void handle_cluster(const std::shared_ptr<Call>& call);
  void get_endpoints(const std::shared_ptr<Call>& call);
  void get_replicas(const std::shared_ptr<Call>& call);
  void put(const std::shared_ptr<Call>& call);
  void get(const std::shared_ptr<Call>& call);
  void remove(const std::shared_ptr<Call>& call);
  void query(const std::shared_ptr<Call>& call);
  Instant deadline_for(uint32_t timeout_ms) const;

  const WireApiDeps deps_;
};

}  // namespace pairdb::server
