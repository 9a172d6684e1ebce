// The typed entry points of AsyncClient: each turns one request into a CallSpec (opcode,
// routing, retry class, payload encoder) and a completion that decodes the response and posts
// the Expected<T> to the handler's associated executor.
#include <pairdb/client/async_client.h>

#include <utility>

#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "client/client_core.h"
#include "client/request_codec.h"
#include "client/response_codec.h"
#include "client/token_router.h"

namespace pairdb::client {

namespace asio = boost::asio;

AsyncClient::AsyncClient(executor_type executor, ClientOptions options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      core_(std::make_shared<detail::ClientCore>(executor_, options_)) {
  core_->start();
}

AsyncClient::~AsyncClient() { core_->shutdown_async(); }

namespace detail {
namespace {

// Completes through the handler's associated executor (the client's by default), keeping that
// executor's work count up until then, so an io_context awaiting the result does not run dry.
// decode(frame) turns the response frame into the result.
template <class T, class Decode>
void launch(const std::shared_ptr<ClientCore>& core, CallSpec spec, Decode decode,
            Handler<T> handler) {
  // Holding `work` keeps the handler's executor (say, the io_context of an awaiting coroutine)
  // from running out of work before the call completes.
  auto work = asio::prefer(asio::get_associated_executor(handler, core->executor()),
                           asio::execution::outstanding_work.tracked);
  auto shared_handler = std::make_shared<Handler<T>>(std::move(handler));
  spec.complete = [shared_handler, work, decode,
                   executor = core->executor()](Expected<net::Frame> outcome) {
    Expected<T> result = outcome ? decode(*outcome) : Expected<T>(outcome.error());
    // post() runs the handler on its associated executor, never inside this call.
    asio::post(executor, asio::append(std::move(*shared_handler), std::move(result)));
  };
  core->run(std::move(spec));
}

// A decoder that takes the opcode it expects (decode_empty) gets the call's.
template <class T>
void launch(const std::shared_ptr<ClientCore>& core, CallSpec spec,
            Expected<T> (*decode)(const net::Frame&, net::Opcode), Handler<T> handler) {
  const net::Opcode opcode = spec.opcode;
  launch(
      core, std::move(spec),
      [decode, opcode](const net::Frame& frame) { return decode(frame, opcode); },
      std::move(handler));
}

uint32_t timeout_of(const ClientCore& core, uint32_t requested_ms) {
  return requested_ms != 0 ? requested_ms : core.options().request_timeout_ms;
}

// A call that carries no per-request timeout and encodes its payload once.
template <class Args>
CallSpec admin_spec(const ClientCore& core, net::Opcode opcode, CallKind kind, const Args& args,
                    std::string node_address = {}) {
  CallSpec spec;
  spec.opcode = opcode;
  spec.kind = kind;
  spec.node_address = std::move(node_address);
  spec.timeout_ms = core.options().request_timeout_ms;
  spec.encode = [payload = encode_payload(args)](uint32_t) { return payload; };
  return spec;
}

}  // namespace

namespace {

// The spec of an item request: routed by the partition key's token, its payload encoded with
// the server-side timeout the attempt leaves.
template <class Request>
CallSpec item_spec(const ClientCore& core, net::Opcode opcode, CallKind kind, Request request) {
  CallSpec spec;
  spec.opcode = opcode;
  spec.kind = kind;
  spec.token = TokenRouter::token_of(request.partition_key);
  spec.timeout_ms = timeout_of(core, request.timeout_ms);
  auto shared = std::make_shared<const Request>(std::move(request));
  spec.encode = [shared](uint32_t server_timeout_ms) {
    return encode_payload(*shared, server_timeout_ms);
  };
  return spec;
}

// A write without an idempotency key gets a generated one when the options ask for it.
template <class Request>
CallSpec write_spec(ClientCore& core, net::Opcode opcode, Request request) {
  if (request.idempotency_key.empty() && core.options().generate_idempotency_keys) {
    request.idempotency_key = core.new_idempotency_key();
  }
  const bool has_key = !request.idempotency_key.empty();
  CallSpec spec = item_spec(core, opcode, CallKind::kWrite, std::move(request));
  spec.has_idempotency_key = has_key;
  return spec;
}

}  // namespace

void start(const std::shared_ptr<ClientCore>& core, PutRequest request, Handler<PutResult> h) {
  launch(core, write_spec(*core, net::Opcode::kPut, std::move(request)), &decode_put, std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, GetRequest request, Handler<GetResult> h) {
  launch(core, item_spec(*core, net::Opcode::kGet, CallKind::kRead, std::move(request)),
         &decode_get, std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, DeleteRequest request,
           Handler<DeleteResult> h) {
  launch(core, write_spec(*core, net::Opcode::kDelete, std::move(request)), &decode_delete,
         std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, QueryRequest request, Handler<QueryResult> h) {
  launch(core, item_spec(*core, net::Opcode::kQuery, CallKind::kRead, std::move(request)),
         &decode_query, std::move(h));
}

// Table changes that say "if (not) exists" end in the same state when repeated, so they retry
// like reads; the plain forms do not.
void start(const std::shared_ptr<ClientCore>& core, CreateTableArgs args, Handler<TableInfo> h) {
  const CallKind kind = args.if_not_exists ? CallKind::kRead : CallKind::kWrite;
  launch(core, admin_spec(*core, net::Opcode::kCreateTable, kind, args), &decode_create_table,
         std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, DropTableArgs args, Handler<Empty> h) {
  const CallKind kind = args.if_exists ? CallKind::kRead : CallKind::kWrite;
  launch(core, admin_spec(*core, net::Opcode::kDropTable, kind, args), &decode_empty, std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, DescribeTableArgs args, Handler<TableInfo> h) {
  launch(core, admin_spec(*core, net::Opcode::kDescribeTable, CallKind::kRead, args),
         &decode_describe_table, std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, ListTablesArgs args,
           Handler<std::vector<TableInfo>> h) {
  launch(core, admin_spec(*core, net::Opcode::kListTables, CallKind::kRead, args),
         &decode_list_tables, std::move(h));
}

void start(const std::shared_ptr<ClientCore>& core, HelloArgs args, Handler<HelloInfo> h) {
  CallSpec spec;
  spec.opcode = net::Opcode::kHello;
  spec.kind = CallKind::kRead;
  spec.node_address = args.node.address;
  spec.timeout_ms = core->options().request_timeout_ms;
  spec.encode = [payload = encode_hello_payload(core->options().client_name)](uint32_t) {
    return payload;
  };
  launch(core, std::move(spec), &decode_hello, std::move(h));
}

// The calls answered by one node: args.node, or any node when it is empty. Each reads, or
// leaves the same state when repeated (flushing or compacting twice is flushing once), so each
// retries like a read. One row a call: its arguments, result, opcode and decoder.
#define PAIRDB_NODE_CALL(ArgsT, ResultT, opcode, decode)                                           \
  void start(const std::shared_ptr<ClientCore>& core, ArgsT args, Handler<ResultT> h) {            \
    launch(core, admin_spec(*core, net::Opcode::opcode, CallKind::kRead, args, args.node.address), \
           &decode, std::move(h));                                                                 \
  }
PAIRDB_NODE_CALL(PingArgs, PingResult, kPing, decode_ping)
PAIRDB_NODE_CALL(TopologyArgs, Topology, kTopology, decode_topology)
PAIRDB_NODE_CALL(StatusArgs, ClusterStatus, kStatus, decode_status)
PAIRDB_NODE_CALL(InfoArgs, KeyValues, kInfo, decode_info)
PAIRDB_NODE_CALL(TableStatsArgs, KeyValues, kTableStats, decode_table_stats)
PAIRDB_NODE_CALL(GetEndpointsArgs, Endpoints, kGetEndpoints, decode_get_endpoints)
PAIRDB_NODE_CALL(GetReplicasArgs, ReplicaCopies, kGetReplicas, decode_get_replicas)
PAIRDB_NODE_CALL(DescribeClusterArgs, ClusterDescription, kDescribeCluster, decode_describe_cluster)
PAIRDB_NODE_CALL(GossipInfoArgs, GossipInfo, kGossipInfo, decode_gossip_info)
PAIRDB_NODE_CALL(FlushArgs, Empty, kFlush, decode_empty)
PAIRDB_NODE_CALL(CompactArgs, Empty, kCompact, decode_empty)
PAIRDB_NODE_CALL(HandoffStatusArgs, HandoffStatus, kHandoffStatus, decode_handoff_status)
PAIRDB_NODE_CALL(RepairStatusArgs, RepairStatus, kRepairStatus, decode_repair_status)
#undef PAIRDB_NODE_CALL

// Pausing or resuming twice is doing it once, so those retry like reads. A truncate repeated
// after an unknown outcome would report 0 for hints the first one deleted (and delete any
// stored since): it retries only when the node refused it unstarted, like a write.
void start(const std::shared_ptr<ClientCore>& core, HandoffControlArgs args,
           Handler<HandoffControlResult> h) {
  const CallKind kind =
      args.action == HandoffAction::kTruncate ? CallKind::kWrite : CallKind::kRead;
  launch(core, admin_spec(*core, net::Opcode::kHandoffControl, kind, args, args.node.address),
         &decode_handoff_control, std::move(h));
}

// A repeated RepairRun would start a second job: like a write, it retries only when the node
// refused it unstarted.
void start(const std::shared_ptr<ClientCore>& core, RepairRunArgs args,
           Handler<RepairRunResult> h) {
  launch(core,
         admin_spec(*core, net::Opcode::kRepairRun, CallKind::kWrite, args, args.node.address),
         &decode_repair_run, std::move(h));
}

}  // namespace detail
}  // namespace pairdb::client
