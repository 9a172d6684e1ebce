#include "server/node.h"

#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include <pairdb/lsm/db.h>

#include "common/assert.h"
#include "common/hash.h"
#include "net/binary_server.h"
#include "net/endpoint.h"
#include "net/http_server.h"
#include "net/internode_client.h"
#include "net/internode_server.h"
#include "net/partition_filter.h"
#include "replication/cluster_view.h"
#include "replication/item_compaction_filter.h"
#include "replication/replica_store.h"
#include "server/api/item_service.h"
#include "server/api/table_service.h"
#include "server/catalog/catalog.h"
#include "server/catalog/schema_sync.h"
#include "server/cluster/gossip_driver.h"
#include "server/cluster/hinted_handoff.h"
#include "server/cluster/node_identity.h"
#include "server/cluster/paced_repair_storage.h"
#include "server/cluster/repair_service.h"
#include "server/cluster/repair_wire.h"
#include "server/cluster/replica_service.h"
#include "server/cluster/replication_driver.h"
#include "server/http/http_api.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/request_metrics.h"
#include "server/storage_stack.h"
#include "server/systemd_notify.h"
#include "server/wire/wire_api.h"

namespace pairdb::server {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kServerVersion = "0.1.0";

// The engine's "name value" lines, keeping the integer ones. Lines whose value is not an
// unsigned integer (ratios such as read-amplification, text such as write-fence) are skipped,
// one by one, rather than ending the parse.
std::map<std::string, uint64_t> parse_stats_map(const std::string& text) {
  std::map<std::string, uint64_t> stats;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string_view value_text = std::string_view(line).substr(space + 1);
    uint64_t value = 0;
    const auto [end, error] =
        std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
    if (error != std::errc() || end != value_text.data() + value_text.size()) continue;
    stats[line.substr(0, space)] = value;
  }
  return stats;
}

std::string to_address(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// The address peers and clients should dial for a listener: a wildcard bind (0.0.0.0, ::) is
// announced with the gossip host instead, which gossip already requires to be reachable.
std::string announced_address(const asio::ip::tcp::endpoint& endpoint,
                              const HostPort& gossip_listen) {
  if (!endpoint.address().is_unspecified()) return to_address(endpoint);
  return HostPort{gossip_listen.host, endpoint.port()}.to_string();
}

}  // namespace

struct Node::Parts {
  NodeConfig config;
  ring::NodeId node_id;
  std::shared_ptr<const replication::ContextAuthenticator> contexts;
  std::vector<ring::Token> tokens;
  const Clock* clock = &SystemClock::instance();
  bool after_clean_stop = false;  // The last run left the clean-stop mark.
  std::unique_ptr<StorageStack> storage;
  MetricsRegistry metrics;
  RequestMetrics binary_metrics{&metrics, "binary"};
  RequestMetrics http_metrics{&metrics, "http"};
  RequestMetrics replicated_metrics{&metrics, RequestMetricsSpec::replicated()};
  asio::io_context io;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<net::ConnectionBudget> budget;
  std::unique_ptr<WireApi> wire_api;
  std::unique_ptr<HttpApi> http_api;
  std::unique_ptr<net::BinaryServer> binary;
  std::unique_ptr<net::HttpServer> http;
  // Binary-protocol connections, spread round-robin over one io_context per io thread.
  // Declared after the servers so that pending handlers of these contexts (connections still
  // lingering at shutdown) are destroyed while the servers and the budget are alive.
  std::vector<std::unique_ptr<asio::io_context>> connection_ios;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> connection_work;
  std::atomic<size_t> next_connection_io{0};
  std::unique_ptr<replication::ClusterView> cluster;
  // The test-only partition hook (testing.partition_file); null on every real node.
  std::unique_ptr<net::PartitionFilter> partition;
  std::unique_ptr<asio::steady_timer> partition_timer;
  std::shared_ptr<GossipDriver> gossip;
  std::shared_ptr<SchemaSync> schema_sync;
  // Replication: the coordinator and the internode client run on replication_io, one thread;
  // the internode listener on `io`, its replica work on the workers.
  asio::io_context replication_io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> replication_work;
  std::thread replication_thread;
  std::unique_ptr<net::InternodeClient> internode_client;
  std::unique_ptr<ReplicaService> replica_service;
  std::unique_ptr<ReplicationDriver> replication;
  // Hinted handoff: hints in their own engine (<data_dir>/hints), delivered on replication_io.
  std::unique_ptr<lsm::DB> hints_db;
  std::unique_ptr<replication::HintStore> hint_store;
  std::unique_ptr<HintedHandoff> handoff;
  // Anti-entropy: sessions and the responder on the repair service's own thread.
  std::unique_ptr<replication::ReplicaRepairStorage> repair_storage;
  std::unique_ptr<PacedRepairStorage> repair_paced;  // repair_storage, scans paced.
  std::unique_ptr<RepairService> repair;
  std::unique_ptr<net::InternodeServer> internode;
  asio::ip::tcp::endpoint binary_endpoint;
  asio::ip::tcp::endpoint http_endpoint;
  asio::ip::tcp::endpoint internode_endpoint;
  ThreadCounts threads;
  Instant started = clock->monotonic();
  std::atomic<bool> stopping{false};

  Status open_storage();
  Status open_hints();
  StorageStackOptions storage_options(
      std::shared_ptr<const replication::ContextAuthenticator> context_keys) const;
  lsm::DB* db() const { return storage->db(); }
  uint64_t uptime_ms() const {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock->monotonic() - started)
            .count());
  }
  Catalog* catalog() const { return storage->catalog(); }
  Status create_default_table();
  Status bind_listeners();
  Status bind_binary();
  Status bind_http();
  Status bind_internode();
  Result<net::internode::HandshakeReply> accept_peer(const net::internode::Handshake& hello) const;
  void serve_peer(uint32_t stream_id, net::internode::Request request,
                  net::InternodeResponder respond);
  void make_replication();
  void stop_replication();
  void open_test_hooks();
  void watch_partition_file();
  void make_wire_api();
  void make_http_api();
  Status open_cluster();
  uint64_t load_bytes() const;
  void register_metrics();
  void add_replication_samples(SampleSink& sink) const;
  void add_hint_samples(SampleSink& sink) const;
  void add_repair_samples(SampleSink& sink) const;
  void begin_shutdown();
  KeyValues info() const;
  Result<KeyValues> table_stats(const std::string& table) const;
  Status compact(const std::string& table);
};

Status Node::Parts::open_storage() {
  const std::string& data_dir = config.node.data_dir;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status::io_error(fmt::format("create data dir {}: {}", data_dir, ec.message()));
  PAIRDB_ASSIGN_OR_RETURN(node_id, load_or_create_node_id(data_dir));
  PAIRDB_ASSIGN_OR_RETURN(auto context_keys,
                          load_or_create_context_keys(data_dir, config.node.context_key_file));
  contexts = std::make_shared<replication::ContextAuthenticator>(std::move(context_keys));

  threads = resolve_thread_counts(config, std::max(1u, std::thread::hardware_concurrency()));
  workers = std::make_unique<asio::thread_pool>(threads.storage_workers);
  PAIRDB_ASSIGN_OR_RETURN(after_clean_stop, take_clean_shutdown_mark(data_dir));
  PAIRDB_ASSIGN_OR_RETURN(storage, StorageStack::open(storage_options(contexts)));
  if (storage->writer_id() != node_id) {
    PAIRDB_LOG_INFO("node",
                    "storage.wal_sync may lose acknowledged writes in a crash: this run mints "
                    "version dots as writer {} (a fresh id per start, so no dot is ever reused)",
                    storage->writer_id().to_string());
  }
  PAIRDB_TRY(open_hints());
  PAIRDB_ASSIGN_OR_RETURN(const std::vector<ring::Token> initial,
                          parse_initial_tokens(config.node.initial_tokens));
  PAIRDB_ASSIGN_OR_RETURN(
      tokens, load_or_create_tokens(db(), config.node.num_tokens, node_id.high_word(), initial));
  if (!initial.empty() && tokens != initial) {
    PAIRDB_LOG_WARN("node",
                    "node.initial_tokens is ignored: {} already holds this node's ring tokens",
                    data_dir);
  }
  if (tokens.size() != config.node.num_tokens) {
    PAIRDB_LOG_WARN("node",
                    "keeping the {} ring tokens persisted in {}; node.num_tokens = {} "
                    "applies only to a new data directory",
                    tokens.size(), data_dir, config.node.num_tokens);
  }
  return Status::ok();
}

// Hints live in an engine of their own, synced like the items' WAL, so that a hint
// acknowledged as part of a write survives a crash of its holder exactly as the write would.
Status Node::Parts::open_hints() {
  lsm::Options engine = storage_options(contexts).engine;
  engine.create_if_missing = true;
  engine.write_buffer_bytes = std::min<uint64_t>(engine.write_buffer_bytes, 16u << 20);
  engine.block_cache_bytes = std::min<uint64_t>(engine.block_cache_bytes, 8u << 20);
  PAIRDB_ASSIGN_OR_RETURN(hints_db, lsm::DB::open(engine, config.node.data_dir + "/hints"));
  replication::HintStoreOptions options;
  options.max_bytes_per_target = config.hints.max_bytes_per_target;
  options.max_bytes_total = config.hints.max_bytes_total;
  PAIRDB_ASSIGN_OR_RETURN(hint_store, replication::HintStore::open(hints_db.get(), options));
  const auto held = hint_store->targets();
  if (!held.empty()) {
    uint64_t count = 0;
    for (const auto& target : held) count += target.count;
    PAIRDB_LOG_INFO("node", "holding {} hint(s) for {} replica(s); delivering them once alive",
                    count, held.size());
  }
  return Status::ok();
}

StorageStackOptions Node::Parts::storage_options(
    std::shared_ptr<const replication::ContextAuthenticator> context_keys) const {
  StorageStackOptions o;
  o.db_path = config.node.data_dir + "/db";
  o.engine.wal_sync_mode = config.storage.wal_sync;
  o.engine.wal_sync_period_ms = static_cast<uint32_t>(config.storage.wal_sync_interval_ms);
  o.engine.write_buffer_bytes = config.storage.memtable_bytes;
  o.engine.block_cache_bytes = config.storage.block_cache_bytes;
  o.engine.max_open_tables = config.storage.max_open_tables;
  o.engine.log = [](lsm::LogLevel level, std::string_view line) {
    const LogLevel mapped = level == lsm::LogLevel::kError  ? LogLevel::kError
                            : level == lsm::LogLevel::kWarn ? LogLevel::kWarn
                            : level == lsm::LogLevel::kInfo ? LogLevel::kInfo
                                                            : LogLevel::kDebug;
    if (log_enabled(mapped)) log_line(mapped, "lsm", line);
  };
  o.node_id = node_id;
  o.after_clean_stop = after_clean_stop;
  o.purge.grace_max_ms = config.tables.tombstone_grace_ms;
  o.purge.repair_margin_ms = config.repair.tombstone_margin_ms;
  o.catalog_seed = node_id.low_word() ^ clock->wall_ms();
  o.limits.partition_key_bytes_max = static_cast<uint32_t>(config.limits.partition_key_bytes_max);
  o.limits.sort_key_bytes_max = static_cast<uint32_t>(config.limits.sort_key_bytes_max);
  o.limits.value_bytes_max = static_cast<uint32_t>(config.limits.value_bytes_max);
  o.limits.query_page_items_max = static_cast<uint32_t>(config.limits.query_page_items_max);
  o.limits.idempotency_window_ms = config.tables.idempotency_window_ms;
  o.table_defaults.dc = config.node.dc;
  o.table_defaults.replication_factor =
      static_cast<uint32_t>(config.tables.default_replication_factor);
  o.table_defaults.conflict_mode = config.tables.default_conflict_mode;
  o.table_defaults.siblings_warn = static_cast<uint32_t>(config.tables.siblings_warn);
  o.table_defaults.siblings_max = static_cast<uint32_t>(config.tables.siblings_max);
  o.point_ops_inline = config.storage.point_ops_on == PointOpsOn::kIoThreads;
  o.run_blocking = [pool = workers.get()](std::function<void()> work) {
    asio::post(*pool, std::move(work));
  };
  o.clock = clock;
  o.contexts = std::move(context_keys);
  return o;
}

Status Node::Parts::create_default_table() {
  // The simple API's table exists from the first start, as an lww table.
  CreateTableCommand default_table;
  default_table.name = config.tables.default_table;
  default_table.conflict_mode = replication::ConflictMode::kLww;
  default_table.if_not_exists = true;
  // Every node creates it with the same id (see Catalog::create_with_id), so it is one table
  // cluster-wide rather than a name conflict between nodes.
  const replication::TableId default_id = hash64("pairdb.default_table/" + default_table.name);
  PAIRDB_TRY(
      catalog()->create_with_id(storage->tables()->resolve(default_table), default_id).status());
  return Status::ok();
}

Status Node::Parts::bind_listeners() {
  budget = std::make_unique<net::ConnectionBudget>(
      static_cast<uint32_t>(config.network.max_connections));
  PAIRDB_TRY(bind_binary());
  PAIRDB_TRY(bind_http());
  PAIRDB_TRY(bind_internode());
  PAIRDB_TRY(open_cluster());
  make_replication();
  make_wire_api();
  make_http_api();
  return Status::ok();
}

Status Node::Parts::bind_binary() {
  PAIRDB_ASSIGN_OR_RETURN(auto target,
                          net::resolve_listen_address(config.network.listen.to_string()));
  net::BinaryServerOptions options;
  options.max_frame_bytes = static_cast<uint32_t>(config.network.max_frame_bytes);
  options.max_inflight_per_connection =
      static_cast<uint32_t>(config.network.max_inflight_per_connection);
  options.idle_timeout_ms = static_cast<uint32_t>(config.network.idle_timeout_ms);
  for (uint32_t i = 0; i < threads.io_threads; ++i) {
    connection_ios.push_back(std::make_unique<asio::io_context>(1));
    connection_work.push_back(asio::make_work_guard(*connection_ios.back()));
  }
  options.connection_executor = [this]() -> asio::any_io_executor {
    const size_t i = next_connection_io.fetch_add(1) % connection_ios.size();
    return connection_ios[i]->get_executor();
  };
  binary = std::make_unique<net::BinaryServer>(
      io, options, budget.get(), [this](net::Frame frame, net::FrameResponder respond) {
        wire_api->handle(std::move(frame), std::move(respond));
      });
  PAIRDB_ASSIGN_OR_RETURN(binary_endpoint, binary->listen(target));
  return Status::ok();
}

Status Node::Parts::bind_http() {
  PAIRDB_ASSIGN_OR_RETURN(auto target,
                          net::resolve_listen_address(config.network.http_listen.to_string()));
  net::HttpServerOptions options;
  options.max_body_bytes = static_cast<uint32_t>(config.http.max_body_bytes);
  options.max_header_bytes = static_cast<uint32_t>(config.http.max_header_bytes);
  options.read_timeout_ms = static_cast<uint32_t>(config.http.read_timeout_ms);
  options.keepalive_timeout_ms = static_cast<uint32_t>(config.http.keepalive_timeout_ms);
  http = std::make_unique<net::HttpServer>(
      io, options, budget.get(),
      [this](net::HttpRequest request) { return http_api->handle(std::move(request)); });
  // Requests refused by the parser never reach HttpApi; count them under their own op.
  http->set_refusal_observer(
      [this](unsigned status) { http_metrics.observe("refused", std::to_string(status), 0); });
  PAIRDB_ASSIGN_OR_RETURN(http_endpoint, http->listen(target));
  return Status::ok();
}

namespace {

// The largest internode frame: a replica record may hold siblings_max values of the largest
// size, far more than one client frame; a frame past this is refused and closes its connection.
uint32_t internode_frame_bytes_max(const NodeConfig& config) {
  constexpr uint64_t kRecordOverheadBytes = 1u << 20;
  constexpr uint64_t kPerSiblingOverheadBytes = 4096;  // Dot, content type, timestamps.
  const uint64_t record =
      config.tables.siblings_max * (config.limits.value_bytes_max + kPerSiblingOverheadBytes) +
      kRecordOverheadBytes;
  return static_cast<uint32_t>(
      std::min<uint64_t>(std::max(record, config.network.max_frame_bytes), 1ull << 30));
}

}  // namespace

Status Node::Parts::bind_internode() {
  PAIRDB_ASSIGN_OR_RETURN(auto target,
                          net::resolve_listen_address(config.internode.listen.to_string()));
  net::InternodeServerOptions options;
  options.max_frame_bytes = internode_frame_bytes_max(config);
  internode = std::make_unique<net::InternodeServer>(
      io, options, [this](const net::internode::Handshake& hello) { return accept_peer(hello); },
      [this](const std::string& /*peer*/, uint32_t stream_id, net::internode::Request request,
             net::InternodeResponder respond) {
        serve_peer(stream_id, std::move(request), std::move(respond));
      });
  PAIRDB_ASSIGN_OR_RETURN(internode_endpoint, internode->listen(target));
  return Status::ok();
}

// A peer may talk to this node's replicas when it names this cluster and gossip knows it.
Result<net::internode::HandshakeReply> Node::Parts::accept_peer(
    const net::internode::Handshake& hello) const {
  const uint64_t cluster_id = hash64(config.node.cluster_name);
  if (hello.cluster_id != cluster_id) {
    return Status::unauthorized("the peer belongs to another cluster (node.cluster_name)");
  }
  ring::NodeId peer;
  if (hello.node_id.size() != peer.bytes.size()) {
    return Status::invalid_argument("a handshake's node id must be 16 bytes");
  }
  std::memcpy(peer.bytes.data(), hello.node_id.data(), peer.bytes.size());
  if (cluster->snapshot()->find(peer) == nullptr) {
    return Status::unauthorized(
        fmt::format("node {} is not a member this node knows (yet)", peer.to_string()));
  }
  net::internode::HandshakeReply reply;
  reply.cluster_id = cluster_id;
  reply.node_id.assign(reinterpret_cast<const char*>(node_id.bytes.data()), node_id.bytes.size());
  return reply;
}

// A peer's request: replica work on the storage workers, a forwarded write to the coordinator.
void Node::Parts::serve_peer(uint32_t stream_id, net::internode::Request request,
                             net::InternodeResponder respond) {
  const auto op = net::internode::op_of(request);
  auto answer = [stream_id, op, respond = std::move(respond)](net::internode::Response response) {
    respond(net::internode::encode_response(stream_id, op, response));
  };
  if (auto* forward = std::get_if<net::internode::ForwardWrite>(&request)) {
    replication->serve_forward(std::move(*forward), std::move(answer));
    return;
  }
  if (is_repair_request(request)) {
    auto repair_request = repair_request_from_wire(request);
    if (!repair_request.is_ok()) {
      answer(internode_error(repair_request.status()));
      return;
    }
    repair->serve(std::move(repair_request).value(), [answer = std::move(answer)](
                                                         Result<replication::RepairReply> reply) {
      answer(reply.is_ok() ? repair_reply_to_wire(*reply)
                           : net::internode::Response(internode_error(reply.status())));
    });
    return;
  }
  // A replica's merge of a peer's record runs right here when the items engine says it need
  // not wait, and so does a read that memory alone answers. Everything else goes to the
  // workers: this thread also runs gossip, so nothing that may wait for the disk (a read that
  // needs a table) or for another engine (a hint kept for a fallback's replica goes to the hint
  // store) runs on it.
  if (auto answered = replica_service->answer_from_memory(request)) {
    answer(std::move(*answered));
    return;
  }
  const RunInline& run_inline = storage->run_inline();
  const auto* write = std::get_if<net::internode::ReplicaWrite>(&request);
  if (write != nullptr && write->hint_for.empty() && run_inline &&
      run_inline(StorageWork::kWrite)) {
    answer(replica_service->handle(request));
    return;
  }
  asio::post(*workers, [this, request = std::move(request), answer = std::move(answer)] {
    answer(replica_service->handle(request));
  });
}

void Node::Parts::make_replication() {
  net::InternodeClientOptions client;
  client.cluster_id = hash64(config.node.cluster_name);
  client.self_id.assign(reinterpret_cast<const char*>(node_id.bytes.data()), node_id.bytes.size());
  client.connections_per_peer = static_cast<uint32_t>(config.internode.connections_per_peer);
  client.max_inflight_per_peer = static_cast<uint32_t>(config.internode.max_inflight_per_peer);
  client.max_inflight_bytes_per_peer = config.internode.max_inflight_bytes_per_peer;
  client.connect_timeout_ms = static_cast<uint32_t>(config.internode.connect_timeout_ms);
  client.max_frame_bytes = internode_frame_bytes_max(config);
  client.TEST_partition = partition.get();
  internode_client =
      std::make_unique<net::InternodeClient>(replication_io.get_executor(), std::move(client));
  replica_service = std::make_unique<ReplicaService>(catalog(), storage->store(), clock);

  ReplicationDriverOptions options;
  options.self = node_id;
  options.local_dc = config.node.dc;
  options.write_timeout = std::chrono::milliseconds(config.replication.write_timeout_ms);
  options.read_timeout = std::chrono::milliseconds(config.replication.read_timeout_ms);
  options.coordinator.speculative_delay =
      std::chrono::milliseconds(config.replication.speculative_retry_ms);
  options.coordinator.stand_in_delay = std::chrono::milliseconds(config.replication.stand_in_ms);
  options.idempotency_window_ms = config.tables.idempotency_window_ms;
  options.run_blocking = [pool = workers.get()](std::function<void()> work) {
    asio::post(*pool, std::move(work));
  };
  options.run_inline = storage->run_inline();
  options.clock = clock;
  options.latency = &replicated_metrics;

  HintedHandoffOptions hints;
  hints.self = node_id;
  hints.enabled = config.hints.max_window_ms > 0;
  hints.max_window_ms = config.hints.max_window_ms;
  hints.delivery.throttle_bytes_per_sec = config.hints.throttle_bytes_per_sec;
  hints.run_blocking = options.run_blocking;
  hints.clock = clock;
  handoff = std::make_unique<HintedHandoff>(replication_io, std::move(hints), hint_store.get(),
                                            cluster.get(), catalog(), internode_client.get());
  options.handoff = handoff.get();
  replica_service->attach_hints(handoff.get());  // Writes to this node as a fallback.
  replica_service->attach_repairs(storage->repairs(), config.repair.tombstone_margin_ms);
  repair_storage =
      std::make_unique<replication::ReplicaRepairStorage>(storage->db(), storage->store());
  repair_paced = std::make_unique<PacedRepairStorage>(
      repair_storage.get(), config.repair.scan_bytes_per_sec,
      [pool = workers.get()](std::function<void()> work) { asio::post(*pool, std::move(work)); });
  RepairServiceOptions repair_options;
  repair_options.self = node_id;
  repair_options.interval_ms = config.repair.interval_ms;
  repair_options.rate_bytes_per_sec = config.repair.rate_bytes_per_sec;
  repair_options.max_sessions = config.repair.max_sessions;
  repair_options.request_timeout = std::chrono::milliseconds(config.repair.request_timeout_ms);
  // Look for due ranges often enough for short test intervals, at most every 10 s.
  repair_options.check_interval =
      std::chrono::milliseconds(std::clamp<uint64_t>(config.repair.interval_ms / 20, 200, 10'000));
  repair_options.cpu_priority = config.repair.cpu_priority;
  repair_options.clock = clock;
  repair = std::make_unique<RepairService>(
      std::move(repair_options), replication_io, internode_client.get(), cluster.get(), catalog(),
      repair_paced.get(), storage->repairs(), hint_store.get());
  replication = std::make_unique<ReplicationDriver>(replication_io, std::move(options),
                                                    cluster.get(), catalog(), storage->store(),
                                                    storage->hlc(), internode_client.get());
  storage->items()->attach_replicator(replication.get());
  replication_work.emplace(asio::make_work_guard(replication_io));
}

// After the listeners drained: no request is waiting on the coordinator any more.
void Node::Parts::stop_replication() {
  replication_work.reset();
  replication_io.stop();
  if (replication_thread.joinable()) replication_thread.join();
  internode_client->close();  // The replication thread is gone: this thread owns it now.
}

void Node::Parts::make_wire_api() {
  WireApiDeps wire;
  wire.items = storage->items();
  wire.tables = storage->tables();
  wire.facts = NodeFacts{node_id.to_string(),
                         config.node.cluster_name,
                         std::string(kServerVersion),
                         to_address(binary_endpoint),
                         to_address(http_endpoint),
                         config.node.dc,
                         config.node.rack,
                         tokens};
  wire.admin.uptime_ms = [this] { return uptime_ms(); };
  wire.admin.load_bytes = [this] { return load_bytes(); };
  wire.cluster = cluster.get();
  wire.admin.schema_state = [this] { return catalog()->state(); };
  wire.admin.schema_digest = [this] { return catalog()->digest(); };
  wire.admin.info = [this] { return info(); };
  wire.admin.table_stats = [this](const std::string& table) { return table_stats(table); };
  wire.admin.flush = [this] { return db()->flush(); };
  wire.admin.compact = [this](const std::string& table) { return compact(table); };
  PAIRDB_ASSERT(handoff != nullptr);  // make_replication() ran.
  PAIRDB_ASSERT(hint_store != nullptr);
  wire.handoff.status = [hints = handoff.get()] { return hints->status(); };
  wire.handoff.repair_marks = [store = hint_store.get()] { return store->repair_marks(); };
  wire.handoff.table_name = [this](replication::TableId id) {
    const auto table = catalog()->find_by_id(id);
    return table != nullptr ? table->spec.name : std::string();
  };
  wire.handoff.set_paused = [hints = handoff.get()](std::optional<ring::NodeId> target, bool paused,
                                                    std::function<void()> done) {
    hints->set_paused(target, paused, std::move(done));
  };
  wire.handoff.truncate = [hints = handoff.get()](std::optional<ring::NodeId> target,
                                                  std::function<void(Result<uint64_t>)> done) {
    hints->truncate(target, std::move(done));
  };
  PAIRDB_ASSERT(repair != nullptr);
  wire.repair.run = [r = repair.get()](RepairRunRequest request,
                                       std::function<void(Result<uint64_t>)> done) {
    r->run(std::move(request), std::move(done));
  };
  wire.repair.status = [r = repair.get()] { return r->status(); };
  wire.max_frame_bytes = static_cast<uint32_t>(config.network.max_frame_bytes);
  wire.request_timeout_ms = static_cast<uint32_t>(config.network.request_timeout_ms);
  wire.run_blocking = [pool = workers.get()](std::function<void()> work) {
    asio::post(*pool, std::move(work));
  };
  wire.clock = clock;
  wire.observe = [this](std::string_view op, StatusCode code, uint64_t micros) {
    binary_metrics.observe(op, code == StatusCode::kOk ? "OK" : status_code_name(code), micros);
  };
  wire_api = std::make_unique<WireApi>(std::move(wire));
}

void Node::Parts::make_http_api() {
  HttpApiDeps deps;
  deps.items = storage->items();
  deps.tables = storage->tables();
  deps.cluster = cluster.get();
  deps.default_table = config.tables.default_table;
  deps.node_id = node_id.to_string();
  deps.request_timeout_ms = static_cast<uint32_t>(config.network.request_timeout_ms);
  deps.clock = clock;
  deps.metrics_text = [this] { return metrics.render_prometheus_text(); };
  deps.observe = [this](std::string_view op, unsigned http_status, uint64_t micros) {
    http_metrics.observe(op, std::to_string(http_status), micros);
  };
  http_api = std::make_unique<HttpApi>(std::move(deps));
}

uint64_t Node::Parts::load_bytes() const {
  auto stats = parse_stats_map(db()->get_property("pairdb.stats-map").value_or(""));
  return stats["live.bytes"];
}

// The node's own gossip state and the SWIM timing, all derived from gossip.protocol_period_ms
// (the ratios are memberlist's LAN defaults).
Status Node::Parts::open_cluster() {
  gossip::NodeMeta meta;
  meta.id = node_id;
  // Wall time makes a restarted node's metadata newer than what peers remember (its ports may
  // have changed), so they fetch it again.
  meta.meta_version = clock->wall_ms();
  meta.client_addr = announced_address(binary_endpoint, config.gossip.listen);
  meta.internode_addr = announced_address(internode_endpoint, config.gossip.listen);
  meta.http_addr = announced_address(http_endpoint, config.gossip.listen);
  meta.dc = config.node.dc;
  meta.rack = config.node.rack;
  meta.software_version = std::string(kServerVersion);
  meta.tokens = tokens;

  const Duration period = std::chrono::milliseconds(config.gossip.protocol_period_ms);
  GossipDriverOptions options;
  options.listen = config.gossip.listen;
  options.seeds = config.gossip.seeds;
  options.swim.probe_interval = period;
  options.swim.probe_timeout = period / 2;
  options.swim.gossip_interval = std::max<Duration>(period / 5, std::chrono::milliseconds(5));
  options.swim.sync_interval = std::chrono::milliseconds(config.gossip.sync_interval_ms);
  options.swim.indirect_probes = static_cast<uint32_t>(config.gossip.indirect_probes);
  options.swim.join_retry = 2 * period;
  options.swim.meta_retry = 2 * period;
  options.swim.reconnect_interval = 5 * period;
  options.self.meta = meta;
  options.self.status = gossip::NodeStatus::kNormal;
  options.self.schema_version = catalog()->digest();
  options.self.load_bytes = load_bytes();
  options.rng_seed = node_id.low_word() ^ clock->wall_ms();
  options.cluster_id = hash64(config.node.cluster_name);
  options.schema_version = [this] { return catalog()->digest(); };
  options.load_bytes = [this] { return load_bytes(); };
  options.TEST_partition = partition.get();

  replication::ClusterMember self;
  self.id = node_id;
  self.status = gossip::NodeStatus::kNormal;
  self.schema_version = options.self.schema_version;
  self.load_bytes = options.self.load_bytes;
  self.meta = std::make_shared<const gossip::NodeMeta>(meta);
  self.is_self = true;
  cluster = std::make_unique<replication::ClusterView>(std::move(self));
  PAIRDB_ASSIGN_OR_RETURN(gossip,
                          GossipDriver::open(io, std::move(options), cluster.get(), &metrics));
  SchemaSyncOptions schema_options;
  schema_options.interval =
      std::max(std::chrono::milliseconds(50),
               std::chrono::milliseconds(config.gossip.protocol_period_ms / 2));
  schema_sync = std::make_shared<SchemaSync>(io, *workers, schema_options, cluster.get(), catalog(),
                                             &metrics);
  return Status::ok();
}

void Node::Parts::register_metrics() {
  metrics.add_collector([this](SampleSink& sink) {
    auto stats = parse_stats_map(db()->get_property("pairdb.stats-map").value_or(""));
    append_stats_map(sink, "pairdb_lsm_", stats);
    sink.gauge("pairdb_open_connections", "Client connections open (binary and HTTP)", {},
               static_cast<double>(budget->open()));
    sink.gauge("pairdb_rejected_connections", "Connections refused by network.max_connections", {},
               static_cast<double>(budget->rejected()));
    sink.gauge("pairdb_requests_in_flight", "Requests being served", {},
               static_cast<double>(binary->in_flight() + http->in_flight()));
    sink.gauge("pairdb_tables", "Live tables", {}, static_cast<double>(catalog()->list().size()));
    const auto snapshot = cluster->snapshot();
    for (gossip::Liveness state : {gossip::Liveness::kAlive, gossip::Liveness::kSuspect,
                                   gossip::Liveness::kDead, gossip::Liveness::kLeft}) {
      const auto count = std::count_if(
          snapshot->members.begin(), snapshot->members.end(),
          [state](const replication::ClusterMember& m) { return m.liveness == state; });
      sink.gauge("pairdb_gossip_members", "Cluster members (self included) by liveness",
                 {{"state", gossip::liveness_name(state)}}, static_cast<double>(count));
    }
    sink.gauge("pairdb_ring_nodes", "Nodes on the ring", {},
               static_cast<double>(snapshot->ring->node_count()));
    sink.gauge("pairdb_schema_version", "Catalog schema version", {},
               static_cast<double>(catalog()->schema_version()));
    sink.gauge("pairdb_sibling_warnings", "Writes that left an item above siblings_warn", {},
               static_cast<double>(storage->items()->sibling_warnings()));
    sink.gauge("pairdb_compaction_dropped_table_records",
               "Records of dropped tables removed by compaction", {},
               static_cast<double>(storage->compaction_filter().dropped_table_records()));
    add_replication_samples(sink);
    sink.gauge("pairdb_compaction_purged_records",
               "Expired or deleted records purged by compaction after the grace period", {},
               static_cast<double>(storage->compaction_filter().purged_records()));
  });
}

void Node::Parts::add_replication_samples(SampleSink& sink) const {
  const ReplicationStats stats = replication->stats();
  const replication::CoordinatorCounters& c = stats.coordinator;
  struct Counter {
    std::string_view name;
    std::string_view help;
    uint64_t value;
  };
  const Counter counters[] = {
      {"pairdb_replication_writes", "Writes coordinated by this node", c.writes},
      {"pairdb_replication_reads", "Reads coordinated by this node", c.reads},
      {"pairdb_replication_forwards", "Writes forwarded to a replica of their key", c.forwards},
      {"pairdb_replication_forwards_served", "Writes peers forwarded to this replica",
       stats.forwards_served},
      {"pairdb_replication_forwards_refused",
       "Forwarded writes refused: not a replica by this node's ring", stats.forwards_refused},
      {"pairdb_replication_unavailable", "Operations refused as Unavailable", c.unavailable},
      {"pairdb_replication_timeouts", "Operations answered Timeout (unknown outcome)", c.timeouts},
      {"pairdb_replication_late_replies", "Replica replies after the answer", c.late_replies},
      {"pairdb_replication_read_repairs_blocking", "Replicas repaired before a read answered",
       c.read_repairs_blocking},
      {"pairdb_replication_read_repairs_async", "Replicas repaired after a read answered",
       c.read_repairs_async},
      {"pairdb_replication_speculative_retries", "Reads that asked one more replica",
       c.speculative_retries},
      {"pairdb_replication_stand_ins_on_silence",
       "Fallbacks asked to stand in for replicas silent past replication.stand_in_ms",
       c.stand_ins_on_silence},
      {"pairdb_replication_missed_writes", "Replicas down when a write was sent",
       stats.missed_writes},
      {"pairdb_replication_range_reads", "Query pages coordinated by this node", stats.range_reads},
      {"pairdb_replication_self_reads",
       "Reads this node's replica answered alone (ONE here, or a single-replica table)",
       stats.self_reads},
      {"pairdb_replication_self_writes",
       "Writes whose only replica is this node (a single-replica table)", stats.self_writes},
      {"pairdb_replica_reads_from_memory",
       "Replica reads answered on the thread that received them, from memory alone",
       storage->store()->memory_reads_answered()},
      {"pairdb_replica_reads_needing_tables",
       "Replica reads memory could not answer, left to the storage workers",
       storage->store()->memory_reads_deferred()},
      {"pairdb_replica_merges_changed", "Peer records that changed this replica",
       replica_service->merges_changed()},
      {"pairdb_replica_merges_unchanged", "Peer records this replica already held",
       replica_service->merges_unchanged()},
      {"pairdb_replica_repairs_received", "Read repairs received",
       replica_service->repairs_received()},
      {"pairdb_replica_predating_refused",
       "Records refused as older than the last repair of their range with every replica "
       "(late hints: held already, or deleted and purged)",
       replica_service->predating_refused()},
      {"pairdb_replica_hints_received",
       "Writes this node kept as hints, standing in for a dead replica (sloppy quorum)",
       replica_service->hints_received()},
  };
  for (const Counter& counter : counters)
    sink.counter(counter.name, counter.help, {}, counter.value);
  sink.gauge("pairdb_replication_in_flight", "Operations the coordinator is working on", {},
             static_cast<double>(stats.in_flight));
  add_hint_samples(sink);
  add_repair_samples(sink);
}

void Node::Parts::add_repair_samples(SampleSink& sink) const {
  const RepairCounters c = repair->counters();
  struct Counter {
    std::string_view name;
    std::string_view help;
    uint64_t value;
  };
  const Counter counters[] = {
      {"pairdb_repair_sessions_started", "Repair sessions this node initiated", c.sessions_started},
      {"pairdb_repair_sessions_completed", "Repair sessions that completed", c.sessions_completed},
      {"pairdb_repair_sessions_failed", "Repair sessions that failed (retried later)",
       c.sessions_failed},
      {"pairdb_repair_ranges_verified", "Ranges repaired with every replica", c.ranges_verified},
      {"pairdb_repair_records_differing", "Records found to differ between replicas",
       c.records_differing},
      {"pairdb_repair_records_exchanged", "Records fetched from or pushed to peers by repair",
       c.records_exchanged},
      {"pairdb_repair_bytes", "Repair bytes sent and received by this node's sessions",
       c.bytes_exchanged},
      {"pairdb_repair_responder_requests", "Peers' repair requests this node answered",
       c.responder_requests},
      {"pairdb_repair_session_work_milliseconds",
       "Time this node's sessions spent scanning, hashing (tree builds) and merging",
       c.tree_build_us / 1000},
      {"pairdb_repair_responder_milliseconds",
       "Time spent answering peers' repair requests (their tree builds included)",
       c.responder_us / 1000},
      {"pairdb_repair_scan_paced_milliseconds",
       "Time tree builds waited for repair.scan_bytes_per_sec (included in the two above)",
       static_cast<uint64_t>(repair_paced->waited().count() / 1000)},
  };
  for (const Counter& counter : counters)
    sink.counter(counter.name, counter.help, {}, counter.value);
  sink.gauge("pairdb_repair_rate_limit_bytes_per_second",
             "repair.rate_bytes_per_sec (0 = unlimited): compare with rate(pairdb_repair_bytes)",
             {}, static_cast<double>(config.repair.rate_bytes_per_sec));
  const uint64_t wall = clock->wall_ms();
  for (const RepairTableHealth& h : repair->health()) {
    const Labels labels{{"table", h.table}};
    const uint64_t oldest = h.oldest_verified_wall_ms;
    sink.gauge("pairdb_repair_oldest_verified_age_seconds",
               "Age of the oldest last verification among a table's ranges here (-1: some range "
               "never verified)",
               labels,
               oldest == 0     ? -1.0
               : oldest > wall ? 0.0
                               : (wall - oldest) / 1000.0);
    sink.gauge("pairdb_repair_ranges_overdue",
               "Ranges of a table not verified within repair.interval_ms", labels,
               static_cast<double>(h.ranges_overdue));
  }
}

void Node::Parts::add_hint_samples(SampleSink& sink) const {
  const HandoffStatus hints = handoff->status();
  sink.counter("pairdb_hints_stored", "Hints stored for replicas that missed writes", {},
               hints.stored);
  sink.counter("pairdb_hints_delivered", "Hints merged at their target and deleted", {},
               hints.delivered);
  sink.counter("pairdb_hints_delivered_bytes", "Bytes of the hints delivered", {},
               hints.delivered_bytes);
  sink.counter("pairdb_hints_delivery_failures", "Hint deliveries that failed (retried later)", {},
               hints.failed_attempts);
  for (size_t r = 0; r < replication::kHintDropReasons; ++r) {
    const auto reason = static_cast<replication::HintDropReason>(r);
    sink.counter("pairdb_hints_dropped",
                 "Hints not kept or not delivered, by reason (those that need repair mark their "
                 "range: pairdb-admin handoff status)",
                 {{"reason", std::string(replication::hint_drop_reason_name(reason))}},
                 hints.dropped[r]);
  }
  sink.gauge("pairdb_hints_bytes", "Bytes of hints held for all targets", {},
             static_cast<double>(hints.total_bytes));
  const uint64_t wall = clock->wall_ms();
  for (const auto& target : hints.targets) {
    const Labels labels{{"target", target.target.to_string()}};
    sink.gauge("pairdb_hints_pending", "Hints held for a target", labels,
               static_cast<double>(target.hints));
    sink.gauge("pairdb_hints_pending_bytes", "Bytes of hints held for a target", labels,
               static_cast<double>(target.bytes));
    const uint64_t oldest = target.oldest_created_wall_ms;
    sink.gauge("pairdb_hints_oldest_age_seconds", "Age of the oldest hint held for a target",
               labels, oldest == 0 || oldest > wall ? 0.0 : (wall - oldest) / 1000.0);
  }
  const auto& server = internode->counters();
  sink.counter("pairdb_internode_refused_handshakes",
               "Peers refused: another cluster or an unknown node", {},
               server.refused_handshakes.load());
  sink.counter("pairdb_internode_malformed_frames", "Peer frames that closed their connection", {},
               server.malformed_frames.load());
  sink.gauge("pairdb_internode_connections", "Peer connections open to this node", {},
             static_cast<double>(server.open.load()));
  for (const auto& [peer, p] : replication->peer_stats()) {
    const Labels labels = {{"peer", peer}};
    sink.counter("pairdb_internode_peer_requests", "Requests sent to a peer", labels, p.requests);
    sink.counter("pairdb_internode_peer_errors", "Requests a peer refused or never got", labels,
                 p.errors);
    sink.counter("pairdb_internode_peer_timeouts", "Requests a peer left unanswered", labels,
                 p.timeouts);
    sink.counter("pairdb_internode_peer_overloaded",
                 "Requests refused here by the per-peer in-flight bounds", labels, p.overloaded);
    sink.counter("pairdb_internode_peer_bytes_sent", "Request bytes sent to a peer", labels,
                 p.bytes_sent);
    sink.counter("pairdb_internode_peer_bytes_received", "Bytes received from a peer", labels,
                 p.bytes_received);
    sink.gauge("pairdb_internode_peer_in_flight", "Requests awaiting a peer's answer", labels,
               static_cast<double>(p.in_flight));
  }
}

KeyValues Node::Parts::info() const {
  KeyValues out;
  out.emplace_back("node_id", node_id.to_string());
  out.emplace_back("cluster_name", config.node.cluster_name);
  out.emplace_back("version", std::string(kServerVersion));
  out.emplace_back("data_dir", config.node.data_dir);
  out.emplace_back("listen", to_address(binary_endpoint));
  out.emplace_back("http_listen", to_address(http_endpoint));
  out.emplace_back("dc", config.node.dc);
  out.emplace_back("rack", config.node.rack);
  out.emplace_back("uptime_ms", std::to_string(uptime_ms()));
  out.emplace_back("schema_version", std::to_string(catalog()->schema_version()));
  out.emplace_back("schema_digest", fmt::format("{:016x}", catalog()->digest()));
  out.emplace_back("gossip_listen", gossip->address());
  out.emplace_back("internode_listen", to_address(internode_endpoint));
  for (const auto& [name, value] :
       parse_stats_map(db()->get_property("pairdb.stats-map").value_or(""))) {
    out.emplace_back("lsm." + name, std::to_string(value));
  }
  return out;
}

Result<KeyValues> Node::Parts::table_stats(const std::string& table) const {
  PAIRDB_ASSIGN_OR_RETURN(auto info, catalog()->require(table));
  KeyValues out;
  out.emplace_back("table", info->spec.name);
  out.emplace_back("id", fmt::format("{:016x}", info->id));
  out.emplace_back("conflict_mode",
                   std::string(replication::conflict_mode_name(info->spec.conflict_mode)));
  // Items are counted by scanning the table's key range: fine for an admin command, and exact.
  uint64_t records = 0;
  uint64_t bytes = 0;
  auto it = db()->new_iterator(lsm::ReadOptions{});
  const std::string end = replication::table_end(info->id);
  for (it->seek(replication::encode_table_prefix(info->id)); it->valid() && it->key() < end;
       it->next()) {
    ++records;
    bytes += it->key().size() + it->value().size();
  }
  PAIRDB_TRY(it->status());
  out.emplace_back("records", std::to_string(records));
  out.emplace_back("logical_bytes", std::to_string(bytes));
  return out;
}

Status Node::Parts::compact(const std::string& table) {
  if (table.empty()) return db()->compact_range(nullptr, nullptr);
  PAIRDB_ASSIGN_OR_RETURN(auto info, catalog()->require(table));
  const std::string begin = replication::encode_table_prefix(info->id);
  const std::string end = replication::table_end(info->id);
  return db()->compact_range(&begin, &end);
}

void Node::Parts::open_test_hooks() {
  if (config.testing.partition_file.empty()) return;
  partition = std::make_unique<net::PartitionFilter>(config.testing.partition_file);
  const Status loaded = partition->reload();
  if (!loaded.is_ok()) PAIRDB_LOG_WARN("node", "{}", loaded.to_string());
  partition_timer = std::make_unique<asio::steady_timer>(io);
  PAIRDB_LOG_WARN("node", "TEST fault hook on: traffic with the hosts listed in {} is dropped",
                  config.testing.partition_file);
}

void Node::Parts::watch_partition_file() {
  if (!partition || stopping) return;
  partition_timer->expires_after(std::chrono::milliseconds(100));
  partition_timer->async_wait([this](boost::system::error_code ec) {
    if (ec || stopping) return;
    const Status reloaded = partition->reload();
    if (!reloaded.is_ok()) PAIRDB_LOG_WARN("node", "{}", reloaded.to_string());
    watch_partition_file();
  });
}

void Node::Parts::begin_shutdown() {
  if (stopping.exchange(true)) return;
  if (partition_timer) partition_timer->cancel();
  PAIRDB_LOG_INFO("node", "shutting down: no new connections; finishing {} in-flight requests",
                  binary->in_flight() + http->in_flight() + internode->counters().in_flight.load());
  (void)notify_stopping();
  binary->stop();
  http->stop();
  internode->stop();
  gossip->stop();
  schema_sync->stop();
  // Poll for the in-flight requests to finish, bounded by shutdown_timeout_ms.
  auto timer = std::make_shared<asio::steady_timer>(io);
  const Instant deadline =
      clock->monotonic() + std::chrono::milliseconds(config.network.shutdown_timeout_ms);
  auto check = std::make_shared<std::function<void()>>();
  *check = [this, timer, deadline, check] {
    // Peers' forwarded writes this node coordinates count too: dropping them would turn writes
    // that may succeed into unknown outcomes for their clients.
    const uint32_t busy =
        binary->in_flight() + http->in_flight() + internode->counters().in_flight.load();
    // Hints for replicas that are alive are handed over before stopping; the rest are kept.
    const bool hints_pending = !handoff->idle_for_live_targets();
    if ((busy == 0 && !hints_pending) || clock->monotonic() >= deadline) {
      if (busy != 0) {
        PAIRDB_LOG_WARN("node", "shutdown timeout: abandoning {} in-flight requests", busy);
      }
      if (hints_pending) {
        PAIRDB_LOG_WARN("node",
                        "shutdown timeout: hints for live replicas are still being delivered; "
                        "they are kept and delivered after the restart");
      }
      io.stop();
      connection_work.clear();
      for (auto& context : connection_ios) context->stop();
      *check = nullptr;  // Breaks the self-reference.
      return;
    }
    timer->expires_after(std::chrono::milliseconds(20));
    timer->async_wait([check](boost::system::error_code) {
      if (*check) (*check)();
    });
  };
  (*check)();
}

Node::Node(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Node::~Node() {
  if (parts_ && parts_->workers) parts_->workers->join();
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  PAIRDB_TRY(parts->open_storage());
  PAIRDB_TRY(parts->create_default_table());
  parts->open_test_hooks();
  PAIRDB_TRY(parts->bind_listeners());
  parts->register_metrics();
  return std::unique_ptr<Node>(new Node(std::move(parts)));
}

Status Node::run() {
  Parts& p = *parts_;
  asio::signal_set signals(p.io, SIGTERM, SIGINT);
  signals.async_wait([&p](boost::system::error_code ec, int signal) {
    if (ec) return;
    PAIRDB_LOG_INFO("node", "received {}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    p.begin_shutdown();
  });
  p.binary->start();
  p.http->start();
  p.internode->start();
  p.replication_thread = std::thread([&p] {
    name_this_thread("pdb-replication");
    p.replication_io.run();
  });
  p.handoff->start();
  p.repair->start();
  p.gossip->start();
  p.schema_sync->start();
  p.watch_partition_file();
  PAIRDB_LOG_INFO("node",
                  "ready: node {} serving binary protocol on {}, HTTP on {}, internode on {}, "
                  "gossip on {}, data in {} ({} io threads, {} storage workers)",
                  p.node_id.to_string(), to_address(p.binary_endpoint), to_address(p.http_endpoint),
                  to_address(p.internode_endpoint), p.gossip->address(), p.config.node.data_dir,
                  p.threads.io_threads, p.threads.storage_workers);
  (void)notify_ready();

  // One thread per connection io_context; this thread runs the rest (accepting, HTTP,
  // gossip, timers).
  // Thread names (top -H): pdb-main, pdb-conn-N, pdb-replication, pdb-repair; the storage
  // workers keep the process name.
  std::vector<std::thread> io_threads;
  for (auto& context : p.connection_ios) {
    io_threads.emplace_back([context = context.get(), n = io_threads.size()] {
      name_this_thread(fmt::format("pdb-conn-{}", n));
      context->run();
    });
  }
  name_this_thread("pdb-main");
  p.io.run();
  for (auto& thread : io_threads) thread.join();
  p.repair_paced->interrupt();  // A paced tree build must not hold up the stop.
  p.repair->stop();  // Running sessions are abandoned; the scheduler runs them again later.
  p.stop_replication();

  p.workers->join();                   // Work already queued finishes; nothing new arrives.
  Status closed = p.storage->close();  // Syncs the WAL.
  const Status hints_closed = p.hints_db->close();
  if (closed.is_ok()) closed = hints_closed;
  // Every dot this run minted is on disk: the next start may keep this run's writer id.
  if (closed.is_ok()) closed = mark_clean_shutdown(p.config.node.data_dir);
  if (closed.is_ok()) {
    PAIRDB_LOG_INFO("node", "stopped cleanly");
  } else {
    PAIRDB_LOG_ERROR("node", "closing the database failed: {}", closed.to_string());
  }
  return closed;
}

void Node::stop() {
  asio::post(parts_->io, [parts = parts_.get()] { parts->begin_shutdown(); });
}

std::string Node::binary_address() const { return to_address(parts_->binary_endpoint); }
std::string Node::http_address() const { return to_address(parts_->http_endpoint); }
std::string Node::node_id() const { return parts_->node_id.to_string(); }

}  // namespace pairdb::server
