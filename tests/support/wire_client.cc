#include "support/wire_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

namespace pairdb::test {

namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

constexpr size_t kReadChunkBytes = 64 * 1024;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Milliseconds left before `deadline_ms`, clamped for poll().
int remaining_ms(int64_t deadline_ms) {
  const int64_t left = deadline_ms - now_ms();
  if (left <= 0) return 0;
  return left > INT32_MAX ? INT32_MAX : static_cast<int>(left);
}

Status errno_status(std::string_view what) {
  return Status::io_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

// ---- Building requests: empty byte strings and text are left out (absent = default).

Offset<flatbuffers::Vector<uint8_t>> bytes_field(FlatBufferBuilder& fbb, std::string_view s) {
  if (s.empty()) return 0;
  return fbb.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Offset<flatbuffers::String> text_field(FlatBufferBuilder& fbb, std::string_view s) {
  if (s.empty()) return 0;
  return fbb.CreateString(s.data(), s.size());
}

Offset<wire::TableSpec> build_spec(FlatBufferBuilder& fbb, const TableSpec& spec) {
  std::vector<Offset<wire::DcReplication>> replication;
  for (const DcReplication& r : spec.replication) {
    replication.push_back(wire::CreateDcReplication(fbb, fbb.CreateString(r.dc), r.rf));
  }
  const auto replication_vec = spec.replication.empty() ? 0 : fbb.CreateVector(replication);
  const auto name = text_field(fbb, spec.name);
  const auto owner = text_field(fbb, spec.owner);
  return wire::CreateTableSpec(fbb, name, owner, replication_vec, spec.read_consistency,
                               spec.write_consistency, spec.conflict_mode, spec.default_ttl_ms,
                               spec.siblings_warn, spec.siblings_max, spec.read_repair,
                               /*sloppy_quorum_off=*/!spec.sloppy_quorum);
}

// The offsets of an item's table, partition key and sort key, created in that order.
template <class Args>
auto item_key_fields(FlatBufferBuilder& fbb, const Args& a) {
  const auto table = text_field(fbb, a.table);
  const auto pk = bytes_field(fbb, a.partition_key);
  const auto sk = bytes_field(fbb, a.sort_key);
  return std::tuple(table, pk, sk);
}

// Finishes a request table whose one field is text: create(fbb, offset of the text).
template <class Create>
void finish_text_request(FlatBufferBuilder& fbb, std::string_view text, Create create) {
  fbb.Finish(create(fbb, text_field(fbb, text)));
}

// Finishes a request table that has no fields.
template <class WireRequest>
void finish_empty_request(FlatBufferBuilder& fbb) {
  fbb.Finish(typename WireRequest::Builder(fbb).Finish());
}

// ---- Reading responses: absent fields read as empty / zero.

std::string bytes_of(const flatbuffers::Vector<uint8_t>* v) {
  if (v == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(v->data()), v->size());
}

std::string text_of(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

// Converts every element of a vector field; an absent vector reads as empty.
template <class Element, class Convert>
auto each_of(const flatbuffers::Vector<Element>* v, Convert convert) {
  std::vector<decltype(convert(*v->begin()))> out;
  if (v == nullptr) return out;
  for (auto element : *v) out.push_back(convert(element));
  return out;
}

Sibling sibling_of(const wire::Sibling* s) {
  return Sibling{bytes_of(s->value()), text_of(s->content_type()), s->timestamp(),
                 s->expires_at_ms(), s->tombstone()};
}

TableSpec spec_of(const wire::TableSpec* s) {
  TableSpec spec;
  if (s == nullptr) return spec;
  spec.name = text_of(s->name());
  spec.owner = text_of(s->owner());
  spec.replication = each_of(s->replication(), [](const wire::DcReplication* r) {
    return DcReplication{text_of(r->dc()), r->rf()};
  });
  spec.read_consistency = s->read_consistency();
  spec.write_consistency = s->write_consistency();
  spec.conflict_mode = s->conflict_mode();
  spec.default_ttl_ms = s->default_ttl_ms();
  spec.siblings_warn = s->siblings_warn();
  spec.siblings_max = s->siblings_max();
  spec.read_repair = s->read_repair();
  spec.sloppy_quorum = !s->sloppy_quorum_off();
  return spec;
}

TableInfo table_info_of(const wire::TableInfo* t) {
  if (t == nullptr) return {};
  return TableInfo{spec_of(t->spec()), t->table_id(), t->created_at_ms(), t->schema_version()};
}

NodeInfo node_of(const wire::NodeInfo* n) {
  NodeInfo node;
  node.node_id = text_of(n->node_id());
  node.address = text_of(n->address());
  node.http_address = text_of(n->http_address());
  node.dc = text_of(n->dc());
  node.rack = text_of(n->rack());
  node.state = text_of(n->state());
  if (n->tokens() != nullptr) node.tokens.assign(n->tokens()->begin(), n->tokens()->end());
  node.liveness = text_of(n->liveness());
  node.load_bytes = n->load_bytes();
  return node;
}

KeyValues entries_of(const flatbuffers::Vector<Offset<wire::KeyValue>>* v) {
  return KeyValues{each_of(v, [](const wire::KeyValue* kv) {
    return std::pair(text_of(kv->key()), text_of(kv->value()));
  })};
}

}  // namespace

std::string ServerError::to_string() const {
  std::string out = fmt::format("{}: {}", net::error_code_name(code), message);
  if (required != 0 || achieved != 0)
    out += fmt::format(" (required {}, achieved {})", required, achieved);
  return out;
}

const std::string* KeyValues::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

// ---- build_request ----------------------------------------------------------------------------

void build_request(FlatBufferBuilder& fbb, const HelloArgs& a) {
  const auto name = text_field(fbb, a.client_name);
  const auto versions = fbb.CreateVector(a.protocol_versions);
  const auto token = text_field(fbb, a.auth_token);
  fbb.Finish(wire::CreateHelloRequest(fbb, name, versions, token));
}

void build_request(FlatBufferBuilder& fbb, const PutArgs& a) {
  const auto [table, pk, sk] = item_key_fields(fbb, a);
  const auto value = bytes_field(fbb, a.value);
  const auto type = text_field(fbb, a.content_type);
  const auto context = bytes_field(fbb, a.context);
  const auto key = text_field(fbb, a.idempotency_key);
  fbb.Finish(wire::CreatePutRequest(fbb, table, pk, sk, value, type, context, a.consistency,
                                    a.ttl_ms, key, a.timeout_ms));
}

void build_request(FlatBufferBuilder& fbb, const GetArgs& a) {
  const auto [table, pk, sk] = item_key_fields(fbb, a);
  fbb.Finish(wire::CreateGetRequest(fbb, table, pk, sk, a.consistency, a.timeout_ms));
}

void build_request(FlatBufferBuilder& fbb, const DeleteArgs& a) {
  const auto [table, pk, sk] = item_key_fields(fbb, a);
  const auto context = bytes_field(fbb, a.context);
  const auto key = text_field(fbb, a.idempotency_key);
  fbb.Finish(
      wire::CreateDeleteRequest(fbb, table, pk, sk, context, a.consistency, key, a.timeout_ms));
}

void build_request(FlatBufferBuilder& fbb, const QueryArgs& a) {
  const auto table = text_field(fbb, a.table);
  const auto pk = bytes_field(fbb, a.partition_key);
  const auto from = a.from_sort_key ? bytes_field(fbb, *a.from_sort_key) : 0;
  const auto to = a.to_sort_key ? bytes_field(fbb, *a.to_sort_key) : 0;
  const auto token = bytes_field(fbb, a.page_token);
  fbb.Finish(wire::CreateQueryRequest(fbb, table, pk, a.from_sort_key.has_value(), from,
                                      a.to_sort_key.has_value(), to, a.limit, token, a.consistency,
                                      a.timeout_ms));
}

void build_request(FlatBufferBuilder& fbb, const CreateTableArgs& a) {
  const auto spec = build_spec(fbb, a.spec);
  fbb.Finish(wire::CreateCreateTableRequest(fbb, spec, a.if_not_exists));
}

void build_request(FlatBufferBuilder& fbb, const DropTableArgs& a) {
  const auto name = text_field(fbb, a.name);
  fbb.Finish(wire::CreateDropTableRequest(fbb, name, a.if_exists));
}

void build_request(FlatBufferBuilder& fbb, const DescribeTableArgs& a) {
  finish_text_request(fbb, a.name, &wire::CreateDescribeTableRequest);
}

void build_request(FlatBufferBuilder& fbb, const TableStatsArgs& a) {
  finish_text_request(fbb, a.table, &wire::CreateTableStatsRequest);
}

void build_request(FlatBufferBuilder& fbb, const CompactArgs& a) {
  finish_text_request(fbb, a.table, &wire::CreateCompactRequest);
}

void build_request(FlatBufferBuilder& fbb, const GetEndpointsArgs& a) {
  const auto table = text_field(fbb, a.table);
  const auto key = fbb.CreateVector(reinterpret_cast<const uint8_t*>(a.partition_key.data()),
                                    a.partition_key.size());
  fbb.Finish(wire::CreateGetEndpointsRequest(fbb, table, key, a.fallbacks));
}

void build_request(FlatBufferBuilder& fbb, const GetReplicasArgs& a) {
  const auto table = text_field(fbb, a.table);
  const auto pk = fbb.CreateVector(reinterpret_cast<const uint8_t*>(a.partition_key.data()),
                                   a.partition_key.size());
  const auto sk =
      fbb.CreateVector(reinterpret_cast<const uint8_t*>(a.sort_key.data()), a.sort_key.size());
  fbb.Finish(wire::CreateGetReplicasRequest(fbb, table, pk, sk));
}

void build_request(FlatBufferBuilder& fbb, const HandoffControlArgs& a) {
  const auto node_id = text_field(fbb, a.node_id);
  fbb.Finish(wire::CreateHandoffControlRequest(fbb, a.action, node_id));
}

void build_request(FlatBufferBuilder& fbb, const RepairRunArgs& a) {
  const auto table = text_field(fbb, a.table);
  const auto range =
      a.range ? wire::CreateRepairTokenRange(fbb, a.range->first, a.range->second) : 0;
  fbb.Finish(wire::CreateRepairRunRequest(fbb, table, range, a.full));
}

// The requests without fields, by name: an empty request table.
#define PAIRDB_TEST_EMPTY_REQUEST(name)                           \
  void build_request(FlatBufferBuilder& fbb, const name##Args&) { \
    finish_empty_request<wire::name##Request>(fbb);               \
  }
PAIRDB_TEST_EMPTY_REQUEST(Ping)
PAIRDB_TEST_EMPTY_REQUEST(ListTables)
PAIRDB_TEST_EMPTY_REQUEST(Topology)
PAIRDB_TEST_EMPTY_REQUEST(Status)
PAIRDB_TEST_EMPTY_REQUEST(Info)
PAIRDB_TEST_EMPTY_REQUEST(Flush)
PAIRDB_TEST_EMPTY_REQUEST(DescribeCluster)
PAIRDB_TEST_EMPTY_REQUEST(GossipInfo)
PAIRDB_TEST_EMPTY_REQUEST(SchemaPull)
PAIRDB_TEST_EMPTY_REQUEST(HandoffStatus)
PAIRDB_TEST_EMPTY_REQUEST(RepairStatus)
#undef PAIRDB_TEST_EMPTY_REQUEST

// ---- from_wire --------------------------------------------------------------------------------

HelloResult from_wire(const wire::HelloResponse& r) {
  return HelloResult{r.protocol_version(), text_of(r.node_id()), text_of(r.cluster_name()),
                     text_of(r.server_version()), r.max_frame_bytes()};
}

PingResult from_wire(const wire::PingResponse& r) {
  return PingResult{text_of(r.node_id()), r.uptime_ms()};
}

PutResult from_wire(const wire::PutResponse& r) {
  return PutResult{bytes_of(r.context()), r.duplicate()};
}

GetResult from_wire(const wire::GetResponse& r) {
  return GetResult{r.found(), each_of(r.siblings(), sibling_of), bytes_of(r.context())};
}

DeleteResult from_wire(const wire::DeleteResponse& r) {
  return DeleteResult{bytes_of(r.context())};
}

QueryResult from_wire(const wire::QueryResponse& r) {
  QueryResult out;
  out.items = each_of(r.items(), [](const wire::QueryItem* item) {
    return QueryItem{bytes_of(item->sort_key()), each_of(item->siblings(), sibling_of),
                     bytes_of(item->context())};
  });
  out.next_page_token = bytes_of(r.next_page_token());
  return out;
}

TableInfo from_wire(const wire::CreateTableResponse& r) { return table_info_of(r.table()); }

Empty from_wire(const wire::DropTableResponse&) { return {}; }

ListTablesResult from_wire(const wire::ListTablesResponse& r) {
  return ListTablesResult{each_of(r.tables(), table_info_of)};
}

TableInfo from_wire(const wire::DescribeTableResponse& r) { return table_info_of(r.table()); }

TopologyResult from_wire(const wire::TopologyResponse& r) {
  return TopologyResult{text_of(r.partitioner()), each_of(r.nodes(), node_of), r.ring_version()};
}

StatusResult from_wire(const wire::StatusResponse& r) {
  return StatusResult{text_of(r.node_id()), each_of(r.nodes(), node_of)};
}

KeyValues from_wire(const wire::InfoResponse& r) { return entries_of(r.entries()); }

KeyValues from_wire(const wire::TableStatsResponse& r) { return entries_of(r.entries()); }

Empty from_wire(const wire::FlushResponse&) { return {}; }

Empty from_wire(const wire::CompactResponse&) { return {}; }

GetEndpointsResult from_wire(const wire::GetEndpointsResponse& r) {
  return GetEndpointsResult{r.token(), each_of(r.nodes(), node_of), r.natural_count(),
                            r.ring_version()};
}

GetReplicasResult from_wire(const wire::GetReplicasResponse& r) {
  return GetReplicasResult{r.token(), each_of(r.replicas(), [](const wire::ReplicaCopy* c) {
                             return ReplicaCopyInfo{text_of(c->node_id()),
                                                    text_of(c->address()),
                                                    text_of(c->error()),
                                                    c->found(),
                                                    each_of(c->siblings(), sibling_of),
                                                    text_of(c->context()),
                                                    c->digest(),
                                                    c->agrees(),
                                                    c->is_self()};
                           })};
}

DescribeClusterResult from_wire(const wire::DescribeClusterResponse& r) {
  DescribeClusterResult out;
  out.cluster_name = text_of(r.cluster_name());
  out.partitioner = text_of(r.partitioner());
  out.schema_versions = each_of(r.schema_versions(), [](const wire::SchemaVersion* v) {
    return SchemaVersionInfo{v->version(), each_of(v->node_ids(), text_of)};
  });
  out.schema_agreement = r.schema_agreement();
  out.ring_version = r.ring_version();
  return out;
}

GossipInfoResult from_wire(const wire::GossipInfoResponse& r) {
  GossipInfoResult out;
  out.node_id = text_of(r.node_id());
  out.members = each_of(r.members(), [](const wire::GossipMember* m) {
    return GossipMemberInfo{text_of(m->node_id()),
                            text_of(m->gossip_address()),
                            m->incarnation(),
                            text_of(m->status()),
                            m->schema_version(),
                            m->load_bytes(),
                            text_of(m->software_version()),
                            text_of(m->dc()),
                            text_of(m->rack()),
                            text_of(m->liveness()),
                            m->meta_version()};
  });
  return out;
}

SchemaPullResult from_wire(const wire::SchemaPullResponse& r) {
  SchemaPullResult out;
  out.tables = each_of(r.tables(), table_info_of);
  if (r.dropped_table_ids() != nullptr) {
    out.dropped_table_ids.assign(r.dropped_table_ids()->begin(), r.dropped_table_ids()->end());
  }
  out.schema_version = r.schema_version();
  out.digest = r.digest();
  return out;
}

HandoffStatusResult from_wire(const wire::HandoffStatusResponse& r) {
  HandoffStatusResult out;
  out.targets = each_of(r.targets(), [](const wire::HandoffTarget* t) {
    return HandoffTargetInfo{
        text_of(t->node_id()),       t->hints(),          t->bytes(),
        t->oldest_created_wall_ms(), text_of(t->state()), text_of(t->liveness())};
  });
  out.paused_all = r.paused_all();
  out.stored = r.stored();
  out.delivered = r.delivered();
  out.delivered_bytes = r.delivered_bytes();
  out.failed_attempts = r.failed_attempts();
  out.total_bytes = r.total_bytes();
  out.dropped = each_of(r.dropped(), [](const wire::HintDropCount* d) {
    return std::pair<std::string, uint64_t>(text_of(d->reason()), d->count());
  });
  out.repair_ranges = each_of(r.repair_ranges(), [](const wire::RepairRange* range) {
    return RepairRangeInfo{range->table_id(),     text_of(range->table()),  range->range_start(),
                           range->range_end(),    text_of(range->reason()), range->marked_wall_ms(),
                           range->hints_dropped()};
  });
  out.repair_ranges_total = r.repair_ranges_total();
  return out;
}

HandoffControlResult from_wire(const wire::HandoffControlResponse& r) {
  return HandoffControlResult{r.affected()};
}

RepairRunResult from_wire(const wire::RepairRunResponse& r) { return RepairRunResult{r.job_id()}; }

RepairStatusResult from_wire(const wire::RepairStatusResponse& r) {
  RepairStatusResult out;
  out.sessions = each_of(r.sessions(), [](const wire::RepairSession* s) {
    RepairSessionInfo info{
        .table = text_of(s->table()), .range_start = s->range_start(), .range_end = s->range_end()};
    info.peers = each_of(s->peers(), [](const flatbuffers::String* p) { return p->str(); });
    info.progress = s->progress();
    info.background = s->background();
    info.records_differing = s->records_differing();
    info.records_fetched = s->records_fetched();
    info.records_pushed = s->records_pushed();
    info.bytes_sent = s->bytes_sent();
    info.bytes_received = s->bytes_received();
    return info;
  });
  out.jobs = each_of(r.jobs(), [](const wire::RepairJob* j) {
    return RepairJobInfo{j->id(),
                         text_of(j->state()),
                         text_of(j->table()),
                         j->started_wall_ms(),
                         j->finished_wall_ms(),
                         j->ranges_total(),
                         j->ranges_done(),
                         j->ranges_failed(),
                         j->progress(),
                         j->records_differing(),
                         j->records_exchanged(),
                         j->bytes_exchanged(),
                         text_of(j->error())};
  });
  out.ranges = each_of(r.ranges(), [](const wire::RepairRangeState* range) {
    return RepairRangeStateInfo{text_of(range->table()),    range->range_start(),
                                range->range_end(),         range->last_verified_wall_ms(),
                                range->records_differing(), range->marked(),
                                range->overdue(),           range->running()};
  });
  out.ranges_total = r.ranges_total();
  out.interval_ms = r.interval_ms();
  out.rate_bytes_per_sec = r.rate_bytes_per_sec();
  return out;
}

Result<ServerError> decode_error(const net::Frame& frame) {
  auto error = net::verify_payload<wire::Error>(frame.payload_bytes());
  if (!error.is_ok()) return error.status();
  const wire::Error& e = **error;
  return ServerError{e.code(), text_of(e.message()), e.required(), e.achieved()};
}

// ---- WireClient: connection -------------------------------------------------------------------

namespace {

// Non-blocking connect to one resolved address, bounded by deadline_ms. Returns the fd.
Result<int> connect_one(const addrinfo& ai, int64_t deadline_ms) {
  const int fd =
      ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return errno_status("socket");
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      Status s = errno_status("connect");
      ::close(fd);
      return s;
    }
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline_ms));
    int error = 0;
    socklen_t len = sizeof(error);
    if (ready <= 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
      ::close(fd);
      if (ready == 0) return Status::timeout("connect timed out");
      return Status::io_error(
          fmt::format("connect: {}", std::strerror(error != 0 ? error : errno)));
    }
  }
  const int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Result<WireClient> WireClient::connect(const std::string& host, uint16_t port,
                                       const WireClientOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    return Status::invalid_argument(fmt::format("resolve {}: {}", host, ::gai_strerror(rc)));
  }
  const int64_t deadline_ms = now_ms() + options.connect_timeout_ms;
  Status last = Status::unavailable("no address for " + host);
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    Result<int> fd = connect_one(*ai, deadline_ms);
    if (fd.is_ok()) {
      ::freeaddrinfo(list);
      return WireClient(*fd, options);
    }
    last = fd.status();
  }
  ::freeaddrinfo(list);
  return last.with_context(fmt::format("connect to {}:{}", host, port));
}

WireClient::WireClient(int fd, const WireClientOptions& options)
    : fd_(fd), options_(options), decoder_(options.max_frame_bytes) {}

WireClient::WireClient(WireClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      options_(other.options_),
      decoder_(std::move(other.decoder_)),
      stash_(std::move(other.stash_)),
      last_stream_id_(other.last_stream_id_),
      peer_closed_(other.peer_closed_) {}

WireClient& WireClient::operator=(WireClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    options_ = other.options_;
    decoder_ = std::move(other.decoder_);
    stash_ = std::move(other.stash_);
    last_stream_id_ = other.last_stream_id_;
    peer_closed_ = other.peer_closed_;
  }
  return *this;
}

WireClient::~WireClient() { close(); }

void WireClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void WireClient::shutdown_write() {
  if (fd_ >= 0) (void)::shutdown(fd_, SHUT_WR);
}

uint32_t WireClient::next_stream_id() {
  ++last_stream_id_;
  if (last_stream_id_ == net::kConnectionStreamId) ++last_stream_id_;
  return last_stream_id_;
}

// ---- WireClient: bytes ------------------------------------------------------------------------

Status WireClient::send_raw(std::string_view bytes) {
  if (fd_ < 0) return Status::unavailable("client is closed");
  const int64_t deadline_ms = now_ms() + options_.call_timeout_ms;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      peer_closed_ = true;
      return Status::unavailable(fmt::format("send: {}", std::strerror(errno)));
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errno_status("send");
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline_ms));
    if (ready == 0) return Status::timeout("send timed out");
    if (ready < 0 && errno != EINTR) return errno_status("poll");
  }
  return Status::ok();
}

Result<net::Frame> WireClient::receive(int64_t deadline_ms) {
  char chunk[kReadChunkBytes];
  while (true) {
    if (std::optional<net::Frame> frame = decoder_.next()) return std::move(*frame);
    if (decoder_.has_error()) {
      return Status::corruption(decoder_.error_status().message());
    }
    if (peer_closed_) {
      return Status::unavailable(
          decoder_.buffered_bytes() == 0
              ? "connection closed by peer"
              : fmt::format("connection closed by peer inside a frame ({} bytes buffered)",
                            decoder_.buffered_bytes()));
    }
    if (fd_ < 0) return Status::unavailable("client is closed");
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline_ms));
    if (ready == 0) return Status::timeout("no complete frame before the deadline");
    if (ready < 0) {
      if (errno == EINTR) continue;
      return errno_status("poll");
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      decoder_.feed(std::string_view(chunk, static_cast<size_t>(n)));
    } else if (n == 0 || errno == ECONNRESET) {
      peer_closed_ = true;
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return errno_status("recv");
    }
  }
}

Result<net::Frame> WireClient::read_frame(uint32_t timeout_ms) {
  if (!stash_.empty()) {
    net::Frame frame = std::move(stash_.front());
    stash_.pop_front();
    return frame;
  }
  return receive(now_ms() + timeout_ms);
}

Result<net::Frame> WireClient::read_response(uint32_t stream_id, uint32_t timeout_ms) {
  for (auto it = stash_.begin(); it != stash_.end(); ++it) {
    if (it->header.stream_id == stream_id || it->header.stream_id == net::kConnectionStreamId) {
      net::Frame frame = std::move(*it);
      stash_.erase(it);
      return frame;
    }
  }
  const int64_t deadline_ms = now_ms() + timeout_ms;
  while (true) {
    PAIRDB_ASSIGN_OR_RETURN(net::Frame frame, receive(deadline_ms));
    if (frame.header.stream_id == stream_id || frame.header.stream_id == net::kConnectionStreamId) {
      return frame;
    }
    if (stash_.size() >= options_.stashed_frames_max) {
      return Status::corruption(
          fmt::format("more than {} unclaimed frames while waiting for stream {}",
                      options_.stashed_frames_max, stream_id));
    }
    stash_.push_back(std::move(frame));
  }
}

// ---- WireClient: requests ---------------------------------------------------------------------

Result<uint32_t> WireClient::send_request(Opcode opcode, const FlatBufferBuilder& fbb) {
  const uint32_t id = next_stream_id();
  PAIRDB_TRY(send_raw(net::encode_request_frame(id, opcode, fbb)));
  return id;
}

Result<net::Frame> WireClient::call(Opcode opcode, const FlatBufferBuilder& fbb) {
  PAIRDB_ASSIGN_OR_RETURN(const uint32_t id, send_request(opcode, fbb));
  return read_response(id, options_.call_timeout_ms);
}

Reply<TableInfo> WireClient::create_table(const TableSpec& spec, bool if_not_exists) {
  CreateTableArgs args;
  args.spec = spec;
  args.if_not_exists = if_not_exists;
  return run(args);
}

Reply<Empty> WireClient::drop_table(std::string_view name, bool if_exists) {
  DropTableArgs args;
  args.name = std::string(name);
  args.if_exists = if_exists;
  return run(args);
}

Reply<TableInfo> WireClient::describe_table(std::string_view name) {
  DescribeTableArgs args;
  args.name = std::string(name);
  return run(args);
}

Reply<KeyValues> WireClient::table_stats(std::string_view table) {
  TableStatsArgs args;
  args.table = std::string(table);
  return run(args);
}

Reply<Empty> WireClient::compact(std::string_view table) {
  CompactArgs args;
  args.table = std::string(table);
  return run(args);
}

Reply<HandoffControlResult> WireClient::handoff_control(wire::HandoffAction action,
                                                        std::string_view node_id) {
  HandoffControlArgs args;
  args.action = action;
  args.node_id = std::string(node_id);
  return run(args);
}

}  // namespace pairdb::test
