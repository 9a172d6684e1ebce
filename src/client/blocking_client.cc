#include <pairdb/client/blocking_client.h>

#include <future>
#include <utility>

#include "common/assert.h"

namespace pairdb::client {

namespace {

// Starts an asynchronous call with a plain callback (which completes on the client's io
// threads) and waits for its result.
template <class T, class Start>
Expected<T> wait_for(Start start) {
  auto promise = std::make_shared<std::promise<Expected<T>>>();
  std::future<Expected<T>> future = promise->get_future();
  start([promise](Expected<T> result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace

Client::Client(ClientOptions options, size_t io_threads)
    : work_(io_.get_executor()),
      async_(std::make_unique<AsyncClient>(io_.get_executor(), std::move(options))) {
  PAIRDB_ASSERT(io_threads >= 1);
  for (size_t i = 0; i < io_threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

Client::~Client() {
  async_.reset();  // Closes connections and cancels pending calls, on the io threads.
  work_.reset();   // run() returns once that work has drained.
  for (std::thread& thread : threads_) thread.join();
}

Expected<PutResult> Client::put(PutRequest request) {
  return wait_for<PutResult>([&](auto done) { async_->async_put(std::move(request), done); });
}
Expected<GetResult> Client::get(GetRequest request) {
  return wait_for<GetResult>([&](auto done) { async_->async_get(std::move(request), done); });
}
Expected<DeleteResult> Client::del(DeleteRequest request) {
  return wait_for<DeleteResult>([&](auto done) { async_->async_delete(std::move(request), done); });
}
Expected<QueryResult> Client::query(QueryRequest request) {
  return wait_for<QueryResult>([&](auto done) { async_->async_query(std::move(request), done); });
}

Expected<TableInfo> Client::create_table(TableSpec spec, bool if_not_exists) {
  return wait_for<TableInfo>(
      [&](auto done) { async_->async_create_table(std::move(spec), if_not_exists, done); });
}
Expected<Empty> Client::drop_table(std::string name, bool if_exists) {
  return wait_for<Empty>(
      [&](auto done) { async_->async_drop_table(std::move(name), if_exists, done); });
}
Expected<TableInfo> Client::describe_table(std::string name) {
  return wait_for<TableInfo>(
      [&](auto done) { async_->async_describe_table(std::move(name), done); });
}
Expected<std::vector<TableInfo>> Client::list_tables() {
  return wait_for<std::vector<TableInfo>>([&](auto done) { async_->async_list_tables(done); });
}

Expected<PingResult> Client::ping(NodeTarget node) {
  return wait_for<PingResult>([&](auto done) { async_->async_ping(std::move(node), done); });
}
Expected<HelloInfo> Client::hello(NodeTarget node) {
  return wait_for<HelloInfo>([&](auto done) { async_->async_hello(std::move(node), done); });
}
Expected<Topology> Client::topology(NodeTarget node) {
  return wait_for<Topology>([&](auto done) { async_->async_topology(std::move(node), done); });
}
Expected<ClusterStatus> Client::status(NodeTarget node) {
  return wait_for<ClusterStatus>([&](auto done) { async_->async_status(std::move(node), done); });
}
Expected<KeyValues> Client::info(NodeTarget node) {
  return wait_for<KeyValues>([&](auto done) { async_->async_info(std::move(node), done); });
}
Expected<KeyValues> Client::table_stats(std::string table, NodeTarget node) {
  return wait_for<KeyValues>(
      [&](auto done) { async_->async_table_stats(std::move(table), std::move(node), done); });
}
Expected<Endpoints> Client::get_endpoints(std::string table, std::string partition_key,
                                          uint32_t fallbacks, NodeTarget node) {
  return wait_for<Endpoints>([&](auto done) {
    async_->async_get_endpoints(std::move(table), std::move(partition_key), fallbacks,
                                std::move(node), done);
  });
}

Expected<ReplicaCopies> Client::get_replicas(std::string table, std::string partition_key,
                                             std::string sort_key, NodeTarget node) {
  return wait_for<ReplicaCopies>([&](auto done) {
    async_->async_get_replicas(std::move(table), std::move(partition_key), std::move(sort_key),
                               std::move(node), done);
  });
}

Expected<ClusterDescription> Client::describe_cluster(NodeTarget node) {
  return wait_for<ClusterDescription>(
      [&](auto done) { async_->async_describe_cluster(std::move(node), done); });
}

Expected<GossipInfo> Client::gossip_info(NodeTarget node) {
  return wait_for<GossipInfo>([&](auto done) { async_->async_gossip_info(std::move(node), done); });
}

Expected<Empty> Client::flush(NodeTarget node) {
  return wait_for<Empty>([&](auto done) { async_->async_flush(std::move(node), done); });
}
Expected<Empty> Client::compact(std::string table, NodeTarget node) {
  return wait_for<Empty>(
      [&](auto done) { async_->async_compact(std::move(table), std::move(node), done); });
}

Expected<HandoffStatus> Client::handoff_status(NodeTarget node) {
  return wait_for<HandoffStatus>(
      [&](auto done) { async_->async_handoff_status(std::move(node), done); });
}
Expected<HandoffControlResult> Client::handoff_control(HandoffAction action,
                                                       std::string target_node_id,
                                                       NodeTarget node) {
  return wait_for<HandoffControlResult>([&](auto done) {
    async_->async_handoff_control(action, std::move(target_node_id), std::move(node), done);
  });
}

Expected<RepairRunResult> Client::repair_run(RepairRunRequest request, NodeTarget node) {
  return wait_for<RepairRunResult>(
      [&](auto done) { async_->async_repair_run(std::move(request), std::move(node), done); });
}
Expected<RepairStatus> Client::repair_status(NodeTarget node) {
  return wait_for<RepairStatus>(
      [&](auto done) { async_->async_repair_status(std::move(node), done); });
}

}  // namespace pairdb::client
