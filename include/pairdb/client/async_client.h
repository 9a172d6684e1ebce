// AsyncClient: the asynchronous pairdb client. Every operation takes an Asio completion token,
// so callbacks, asio::use_awaitable and asio::use_future all work; each completes with exactly
// one Expected<T> (the completion signature is void(Expected<T>)).
//
//   co_await client.async_put({.table = "kv", .partition_key = "k", .value = "v"},
//                             asio::use_awaitable);
//
// In a coroutine, pass requests as named variables (GetRequest r{...}; co_await
// client.async_get(std::move(r), use_awaitable)): g++ 12 mishandles braced temporaries
// inside co_await expressions.
//
// Threads: an AsyncClient is safe to call from any thread. Its state lives on a strand of the
// executor it was built with; run that executor's io_context on one or more threads.
// Completion handlers run on the handler's associated executor, by default the client's
// executor, and never inside the initiating call. The AsyncClient object may be destroyed while
// operations are pending: they then complete with Errc::kCancelled.
//
// Behaviour: keyed requests go to the primary replica of their partition key (token-aware, from
// the cluster topology), falling back to other nodes when it is down. Reads and writes carrying
// an idempotency key are retried on Timeout, Internal and broken connections; every request is
// retried when the server refused it unstarted (Overloaded, Unavailable, ShuttingDown). Retries
// back off and stay within the request's deadline, after which it completes with kTimeout.
#pragma once

#include <memory>
#include <utility>

#include <pairdb/client/error.h>
#include <pairdb/client/options.h>
#include <pairdb/client/types.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

namespace pairdb::client {

namespace detail {

class ClientCore;

template <class T>
using Handler = boost::asio::any_completion_handler<void(Expected<T>)>;

// Type-erased entry points, defined in src/client. Each takes ownership of the handler and
// invokes it exactly once (unless the executor is destroyed first).
void start(const std::shared_ptr<ClientCore>& core, PutRequest request, Handler<PutResult> h);
void start(const std::shared_ptr<ClientCore>& core, GetRequest request, Handler<GetResult> h);
void start(const std::shared_ptr<ClientCore>& core, DeleteRequest request, Handler<DeleteResult> h);
void start(const std::shared_ptr<ClientCore>& core, QueryRequest request, Handler<QueryResult> h);

struct CreateTableArgs {
  TableSpec spec;
  bool if_not_exists = false;
};
struct DropTableArgs {
  std::string name;
  bool if_exists = false;
};
struct DescribeTableArgs {
  std::string name;
};
struct ListTablesArgs {};
struct PingArgs {
  NodeTarget node;
};
struct HelloArgs {
  NodeTarget node;
};
struct TopologyArgs {
  NodeTarget node;
};
struct StatusArgs {
  NodeTarget node;
};
struct InfoArgs {
  NodeTarget node;
};
struct TableStatsArgs {
  std::string table;
  NodeTarget node;
};
struct GetEndpointsArgs {
  std::string table;
  std::string partition_key;
  uint32_t fallbacks = 0;
  NodeTarget node;
};
struct GetReplicasArgs {
  std::string table;
  std::string partition_key;
  std::string sort_key;
  NodeTarget node;
};
struct DescribeClusterArgs {
  NodeTarget node;
};
struct GossipInfoArgs {
  NodeTarget node;
};
struct FlushArgs {
  NodeTarget node;
};
struct CompactArgs {
  std::string table;
  NodeTarget node;
};
struct HandoffStatusArgs {
  NodeTarget node;
};
struct HandoffControlArgs {
  HandoffAction action = HandoffAction::kPause;
  std::string node_id{};  // The target (UUID text); empty = every target.
  NodeTarget node{};
};
struct RepairRunArgs {
  RepairRunRequest request;
  NodeTarget node;
};
struct RepairStatusArgs {
  NodeTarget node;
};

void start(const std::shared_ptr<ClientCore>& core, CreateTableArgs args, Handler<TableInfo> h);
void start(const std::shared_ptr<ClientCore>& core, DropTableArgs args, Handler<Empty> h);
void start(const std::shared_ptr<ClientCore>& core, DescribeTableArgs args, Handler<TableInfo> h);
void start(const std::shared_ptr<ClientCore>& core, ListTablesArgs args,
           Handler<std::vector<TableInfo>> h);
void start(const std::shared_ptr<ClientCore>& core, PingArgs args, Handler<PingResult> h);
void start(const std::shared_ptr<ClientCore>& core, HelloArgs args, Handler<HelloInfo> h);
void start(const std::shared_ptr<ClientCore>& core, TopologyArgs args, Handler<Topology> h);
void start(const std::shared_ptr<ClientCore>& core, StatusArgs args, Handler<ClusterStatus> h);
void start(const std::shared_ptr<ClientCore>& core, InfoArgs args, Handler<KeyValues> h);
void start(const std::shared_ptr<ClientCore>& core, TableStatsArgs args, Handler<KeyValues> h);
void start(const std::shared_ptr<ClientCore>& core, GetEndpointsArgs args, Handler<Endpoints> h);
void start(const std::shared_ptr<ClientCore>& core, GetReplicasArgs args, Handler<ReplicaCopies> h);
void start(const std::shared_ptr<ClientCore>& core, DescribeClusterArgs args,
           Handler<ClusterDescription> h);
void start(const std::shared_ptr<ClientCore>& core, GossipInfoArgs args, Handler<GossipInfo> h);
void start(const std::shared_ptr<ClientCore>& core, FlushArgs args, Handler<Empty> h);
void start(const std::shared_ptr<ClientCore>& core, CompactArgs args, Handler<Empty> h);
void start(const std::shared_ptr<ClientCore>& core, HandoffStatusArgs args,
           Handler<HandoffStatus> h);
void start(const std::shared_ptr<ClientCore>& core, HandoffControlArgs args,
           Handler<HandoffControlResult> h);
void start(const std::shared_ptr<ClientCore>& core, RepairRunArgs args, Handler<RepairRunResult> h);
void start(const std::shared_ptr<ClientCore>& core, RepairStatusArgs args, Handler<RepairStatus> h);

}  // namespace detail

class AsyncClient {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Starts learning the topology from options.contact_points at once. Connections open on
  // demand. REQUIRES: !options.contact_points.empty(), connections_per_node >= 1,
  // in_flight_per_connection_max >= 1 (violations complete every call with kInvalidArgument).
  AsyncClient(executor_type executor, ClientOptions options);
  ~AsyncClient();  // Closes connections; pending operations complete with kCancelled.
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  executor_type get_executor() const { return executor_; }
  const ClientOptions& options() const { return options_; }

  // ---- Items
  template <class Token>
  auto async_put(PutRequest request, Token&& token) {
    return initiate<PutResult>(std::forward<Token>(token), std::move(request));
  }
  template <class Token>
  auto async_get(GetRequest request, Token&& token) {
    return initiate<GetResult>(std::forward<Token>(token), std::move(request));
  }
  template <class Token>
  auto async_delete(DeleteRequest request, Token&& token) {
    return initiate<DeleteResult>(std::forward<Token>(token), std::move(request));
  }
  template <class Token>
  auto async_query(QueryRequest request, Token&& token) {
    return initiate<QueryResult>(std::forward<Token>(token), std::move(request));
  }

  // ---- Tables
  template <class Token>
  auto async_create_table(TableSpec spec, bool if_not_exists, Token&& token) {
    return initiate<TableInfo>(std::forward<Token>(token),
                               detail::CreateTableArgs{std::move(spec), if_not_exists});
  }
  template <class Token>
  auto async_drop_table(std::string name, bool if_exists, Token&& token) {
    return initiate<Empty>(std::forward<Token>(token),
                           detail::DropTableArgs{std::move(name), if_exists});
  }
  template <class Token>
  auto async_describe_table(std::string name, Token&& token) {
    return initiate<TableInfo>(std::forward<Token>(token),
                               detail::DescribeTableArgs{std::move(name)});
  }
  template <class Token>
  auto async_list_tables(Token&& token) {
    return initiate<std::vector<TableInfo>>(std::forward<Token>(token), detail::ListTablesArgs{});
  }

  // ---- Cluster and administration (node = {} means any reachable node)
  template <class Token>
  auto async_ping(NodeTarget node, Token&& token) {
    return initiate<PingResult>(std::forward<Token>(token), detail::PingArgs{std::move(node)});
  }
  template <class Token>
  auto async_hello(NodeTarget node, Token&& token) {
    return initiate<HelloInfo>(std::forward<Token>(token), detail::HelloArgs{std::move(node)});
  }
  template <class Token>
  auto async_topology(NodeTarget node, Token&& token) {
    return initiate<Topology>(std::forward<Token>(token), detail::TopologyArgs{std::move(node)});
  }
  template <class Token>
  auto async_status(NodeTarget node, Token&& token) {
    return initiate<ClusterStatus>(std::forward<Token>(token), detail::StatusArgs{std::move(node)});
  }
  template <class Token>
  auto async_info(NodeTarget node, Token&& token) {
    return initiate<KeyValues>(std::forward<Token>(token), detail::InfoArgs{std::move(node)});
  }
  template <class Token>
  auto async_table_stats(std::string table, NodeTarget node, Token&& token) {
    return initiate<KeyValues>(std::forward<Token>(token),
                               detail::TableStatsArgs{std::move(table), std::move(node)});
  }
  // The replicas of `partition_key` in `table`, plus up to `fallbacks` (at most 8) extra
  // nodes a sloppy quorum would use.
  template <class Token>
  auto async_get_endpoints(std::string table, std::string partition_key, uint32_t fallbacks,
                           NodeTarget node, Token&& token) {
    return initiate<Endpoints>(std::forward<Token>(token),
                               detail::GetEndpointsArgs{std::move(table), std::move(partition_key),
                                                        fallbacks, std::move(node)});
  }
  // Each replica's own copy of an item, read without merging or repairing anything.
  template <class Token>
  auto async_get_replicas(std::string table, std::string partition_key, std::string sort_key,
                          NodeTarget node, Token&& token) {
    return initiate<ReplicaCopies>(
        std::forward<Token>(token),
        detail::GetReplicasArgs{std::move(table), std::move(partition_key), std::move(sort_key),
                                std::move(node)});
  }
  template <class Token>
  auto async_describe_cluster(NodeTarget node, Token&& token) {
    return initiate<ClusterDescription>(std::forward<Token>(token),
                                        detail::DescribeClusterArgs{std::move(node)});
  }
  template <class Token>
  auto async_gossip_info(NodeTarget node, Token&& token) {
    return initiate<GossipInfo>(std::forward<Token>(token),
                                detail::GossipInfoArgs{std::move(node)});
  }
  template <class Token>
  auto async_flush(NodeTarget node, Token&& token) {
    return initiate<Empty>(std::forward<Token>(token), detail::FlushArgs{std::move(node)});
  }
  template <class Token>
  auto async_compact(std::string table, NodeTarget node, Token&& token) {
    return initiate<Empty>(std::forward<Token>(token),
                           detail::CompactArgs{std::move(table), std::move(node)});
  }
  // The node's hints: per target, totals, drops by reason, and the ranges that need repair.
  template <class Token>
  auto async_handoff_status(NodeTarget node, Token&& token) {
    return initiate<HandoffStatus>(std::forward<Token>(token),
                                   detail::HandoffStatusArgs{std::move(node)});
  }
  // Pauses or resumes hint delivery, or truncates the hints held, for the target whose id is
  // `target_node_id` (UUID text), or for every target when it is empty. Completes once the node
  // made the change. A truncate is not retried after its outcome became unknown.
  template <class Token>
  auto async_handoff_control(HandoffAction action, std::string target_node_id, NodeTarget node,
                             Token&& token) {
    return initiate<HandoffControlResult>(
        std::forward<Token>(token),
        detail::HandoffControlArgs{action, std::move(target_node_id), std::move(node)});
  }
  // Starts an anti-entropy repair job on the node of the ranges it replicates, and completes
  // with the job's id once it started (the job runs on; follow it with async_repair_status).
  // Not retried after its outcome became unknown: that could start a second job.
  template <class Token>
  auto async_repair_run(RepairRunRequest request, NodeTarget node, Token&& token) {
    return initiate<RepairRunResult>(std::forward<Token>(token),
                                     detail::RepairRunArgs{std::move(request), std::move(node)});
  }
  // The node's repair state: running sessions, recent jobs, and each range's last repair.
  template <class Token>
  auto async_repair_status(NodeTarget node, Token&& token) {
    return initiate<RepairStatus>(std::forward<Token>(token),
                                  detail::RepairStatusArgs{std::move(node)});
  }

 private:
  template <class T, class Token, class Args>
  auto initiate(Token&& token, Args args) {
    return boost::asio::async_initiate<Token, void(Expected<T>)>(
        [core = core_](auto handler, Args request) {
          detail::start(core, std::move(request), detail::Handler<T>(std::move(handler)));
        },
        token, std::move(args));
  }

  executor_type executor_;
  ClientOptions options_;
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace pairdb::client
