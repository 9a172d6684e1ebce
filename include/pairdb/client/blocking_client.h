// Client: the blocking pairdb client. It owns an io_context, the threads that run it and an
// AsyncClient, and turns every asynchronous call into a call that waits for its Expected<T>.
//
// Threads: safe to call from any number of threads at once (calls then run concurrently and
// pipeline over the same connections). Never call it from one of its own io threads (for
// example from inside a completion handler of async()): that call would wait on itself.
// Invariant: the io threads run until the destructor, which cancels pending work and joins them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pairdb/client/async_client.h>
#include <pairdb/client/error.h>
#include <pairdb/client/options.h>
#include <pairdb/client/types.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace pairdb::client {

class Client {
 public:
  // REQUIRES: io_threads >= 1.
  explicit Client(ClientOptions options, size_t io_threads = 1);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // ---- Items
  Expected<PutResult> put(PutRequest request);
  Expected<GetResult> get(GetRequest request);
  Expected<DeleteResult> del(DeleteRequest request);
  Expected<QueryResult> query(QueryRequest request);

  // ---- Tables
  Expected<TableInfo> create_table(TableSpec spec, bool if_not_exists = false);
  Expected<Empty> drop_table(std::string name, bool if_exists = false);
  Expected<TableInfo> describe_table(std::string name);
  Expected<std::vector<TableInfo>> list_tables();

  // ---- Cluster and administration (node = {} means any reachable node)
  Expected<PingResult> ping(NodeTarget node = {});
  Expected<HelloInfo> hello(NodeTarget node = {});
  Expected<Topology> topology(NodeTarget node = {});
  Expected<ClusterStatus> status(NodeTarget node = {});
  Expected<KeyValues> info(NodeTarget node = {});
  Expected<KeyValues> table_stats(std::string table, NodeTarget node = {});
  Expected<Endpoints> get_endpoints(std::string table, std::string partition_key,
                                    uint32_t fallbacks = 0, NodeTarget node = {});
  Expected<ReplicaCopies> get_replicas(std::string table, std::string partition_key,
                                       std::string sort_key = {}, NodeTarget node = {});
  Expected<ClusterDescription> describe_cluster(NodeTarget node = {});
  Expected<GossipInfo> gossip_info(NodeTarget node = {});
  Expected<Empty> flush(NodeTarget node = {});
  Expected<Empty> compact(std::string table = {}, NodeTarget node = {});
  Expected<HandoffStatus> handoff_status(NodeTarget node = {});
  // target_node_id: UUID text of one target; empty = every target.
  Expected<HandoffControlResult> handoff_control(HandoffAction action,
                                                 std::string target_node_id = {},
                                                 NodeTarget node = {});
  Expected<RepairRunResult> repair_run(RepairRunRequest request = {}, NodeTarget node = {});
  Expected<RepairStatus> repair_status(NodeTarget node = {});

  // The asynchronous client underneath, for pipelining many requests from one thread.
  AsyncClient& async() { return *async_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<AsyncClient> async_;
  std::vector<std::thread> threads_;
};

}  // namespace pairdb::client
