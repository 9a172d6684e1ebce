#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "net/frame.h"
#include "net/wire.h"
#include "support/wire_client.h"

using namespace pairdb;
using namespace pairdb::net;
using namespace pairdb::test;
using flatbuffers::FlatBufferBuilder;

namespace {

constexpr int kPollSliceMs = 20;  // How often the server thread checks for shutdown.

// A single-connection server on 127.0.0.1, run by its own thread: it decodes request frames
// and hands each to the test's handler, which answers through send() or close_connection().
// The handler runs on the server thread and must not use Catch2 assertions.
class FakeServer {
 public:
  using Handler = std::function<void(const Frame&, FakeServer&)>;

  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    PAIRDB_ASSERT(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    PAIRDB_ASSERT(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    PAIRDB_ASSERT(::listen(listen_fd_, 4) == 0);
    socklen_t len = sizeof(addr);
    PAIRDB_ASSERT(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~FakeServer() {
    stop_ = true;
    thread_.join();
    if (conn_fd_ >= 0) ::close(conn_fd_);
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }

  // Server thread only.
  void send(const std::string& bytes) {
    size_t sent = 0;
    while (conn_fd_ >= 0 && sent < bytes.size()) {
      const ssize_t n = ::send(conn_fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  void close_connection() {
    if (conn_fd_ >= 0) ::close(conn_fd_);
    conn_fd_ = -1;
  }

 private:
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, kPollSliceMs) > 0) return true;
    }
    return false;
  }

  void run() {
    if (!wait_readable(listen_fd_)) return;
    conn_fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    FrameDecoder decoder;
    char buf[4096];
    while (conn_fd_ >= 0 && wait_readable(conn_fd_)) {
      const ssize_t n = ::recv(conn_fd_, buf, sizeof(buf), 0);
      if (n <= 0) return;
      decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (auto frame = decoder.next()) {
        handler_(*frame, *this);
        if (conn_fd_ < 0) return;
      }
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int conn_fd_ = -1;  // Server thread only (and the destructor, after join).
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

WireClient connect_to(const FakeServer& server) {
  WireClientOptions options;
  options.call_timeout_ms = 5000;
  auto client = WireClient::connect("127.0.0.1", server.port(), options);
  REQUIRE(client.is_ok());
  return std::move(client).value();
}

std::string response(uint32_t stream_id, Opcode op, const FlatBufferBuilder& fbb) {
  return encode_response_frame(stream_id, op, fbb);
}

flatbuffers::Offset<flatbuffers::Vector<uint8_t>> bytes(FlatBufferBuilder& fbb,
                                                        std::string_view s) {
  return fbb.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string str(const flatbuffers::Vector<uint8_t>* v) {
  return v == nullptr ? "" : std::string(reinterpret_cast<const char*>(v->data()), v->size());
}

flatbuffers::Offset<wire::TableSpec> copy_spec(FlatBufferBuilder& fbb, const wire::TableSpec& s) {
  std::vector<flatbuffers::Offset<wire::DcReplication>> replication;
  for (const wire::DcReplication* r : *s.replication()) {
    replication.push_back(wire::CreateDcReplicationDirect(fbb, r->dc()->c_str(), r->rf()));
  }
  return wire::CreateTableSpecDirect(fbb, s.name()->c_str(), s.owner()->c_str(), &replication,
                                     s.read_consistency(), s.write_consistency(), s.conflict_mode(),
                                     s.default_ttl_ms(), s.siblings_warn(), s.siblings_max(),
                                     s.read_repair(), s.sloppy_quorum_off());
}

// A tiny key-value store behind Put/Get, so values travel client → server → client.
struct KvHandler {
  std::map<std::string, std::string> items;
  int writes = 0;

  void operator()(const Frame& f, FakeServer& server) {
    const uint32_t id = f.header.stream_id;
    FlatBufferBuilder fbb;
    if (f.header.opcode == Opcode::kPut) {
      auto put = *verify_payload<wire::PutRequest>(f.payload_bytes());
      if (put->table()->str() != "t") {
        server.send(encode_error_frame(id, Opcode::kPut, wire::ErrorCode::TableNotFound,
                                       "no table " + put->table()->str()));
        return;
      }
      items[str(put->partition_key()) + "/" + str(put->sort_key())] = str(put->value());
      fbb.Finish(wire::CreatePutResponse(fbb, bytes(fbb, "ctx" + std::to_string(++writes))));
      server.send(response(id, Opcode::kPut, fbb));
    } else if (f.header.opcode == Opcode::kGet) {
      auto get = *verify_payload<wire::GetRequest>(f.payload_bytes());
      auto it = items.find(str(get->partition_key()) + "/" + str(get->sort_key()));
      std::vector<flatbuffers::Offset<wire::Sibling>> siblings;
      if (it != items.end()) {
        siblings.push_back(wire::CreateSibling(fbb, bytes(fbb, it->second),
                                               fbb.CreateString("text/plain"), 1234, 0, false));
      }
      fbb.Finish(wire::CreateGetResponse(fbb, it != items.end(), fbb.CreateVector(siblings),
                                         bytes(fbb, "ctx" + std::to_string(writes))));
      server.send(response(id, Opcode::kGet, fbb));
    }
  }
};

}  // namespace

TEST_CASE("typed put and get carry keys, values and contexts through a server") {
  FakeServer server(KvHandler{});
  WireClient client = connect_to(server);

  auto miss = client.get({.table = "t", .partition_key = "k1"});
  REQUIRE(miss.is_ok());
  CHECK_FALSE(miss->found);
  CHECK(miss->siblings.empty());

  const std::string binary_value("\x00\x01\xff value", 9);
  auto put = client.put({.table = "t",
                         .partition_key = "k1",
                         .sort_key = "s",
                         .value = binary_value,
                         .consistency = wire::Consistency::Quorum,
                         .ttl_ms = 5000});
  INFO(put.describe());
  REQUIRE(put.is_ok());
  CHECK(put->context == "ctx1");

  auto hit = client.get({.table = "t", .partition_key = "k1", .sort_key = "s"});
  REQUIRE(hit.is_ok());
  CHECK(hit->found);
  REQUIRE(hit->siblings.size() == 1);
  CHECK(hit->siblings[0].value == binary_value);
  CHECK(hit->siblings[0].content_type == "text/plain");
  CHECK(hit->siblings[0].timestamp == 1234);
  CHECK(hit->context == "ctx1");
}

TEST_CASE("an error frame becomes a ServerError reply") {
  FakeServer server([](const Frame& f, FakeServer& s) {
    s.send(encode_error_frame(f.header.stream_id, f.header.opcode, wire::ErrorCode::Unavailable,
                              "2 replicas needed, 1 alive", 2, 1));
  });
  WireClient client = connect_to(server);
  auto put = client.put({.table = "t", .partition_key = "k", .value = "v"});
  REQUIRE(put.is_server_error());
  CHECK(put.error_code() == wire::ErrorCode::Unavailable);
  CHECK(put.error().message == "2 replicas needed, 1 alive");
  CHECK(put.error().required == 2);
  CHECK(put.error().achieved == 1);
  CHECK(put.describe() ==
        "server error: Unavailable: 2 replicas needed, 1 alive (required 2, achieved 1)");
}

TEST_CASE("pipelined responses that arrive out of order are matched by stream id") {
  // Holds requests until three have arrived, then answers them newest first.
  std::vector<Frame> held;
  FakeServer server([&held](const Frame& f, FakeServer& s) {
    held.push_back(f);
    if (held.size() < 3) return;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      auto ping = FlatBufferBuilder();
      ping.Finish(wire::CreatePingResponse(
          ping, ping.CreateString("node-" + std::to_string(it->header.stream_id)), 1));
      s.send(response(it->header.stream_id, Opcode::kPing, ping));
    }
  });
  WireClient client = connect_to(server);
  std::vector<uint32_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = client.send(PingArgs{});
    REQUIRE(id.is_ok());
    ids.push_back(*id);
  }
  CHECK(ids == std::vector<uint32_t>{1, 2, 3});
  for (uint32_t id : ids) {
    auto frame = client.read_response(id, 5000);
    REQUIRE(frame.is_ok());
    auto reply = decode_reply<PingArgs>(*frame);
    REQUIRE(reply.is_ok());
    CHECK(reply->node_id == "node-" + std::to_string(id));
  }
}

TEST_CASE("read_frame tells a timeout apart from the peer closing") {
  FakeServer server([](const Frame& f, FakeServer& s) {
    FlatBufferBuilder fbb;
    fbb.Finish(wire::CreatePingResponse(fbb, fbb.CreateString("n1"), 7));
    s.send(response(f.header.stream_id, Opcode::kPing, fbb));
    s.close_connection();
  });
  WireClient client = connect_to(server);
  auto nothing = client.read_frame(30);
  CHECK(nothing.status().code() == StatusCode::kTimeout);
  CHECK_FALSE(client.peer_closed());

  auto pong = client.ping();  // The answer sent before the close still arrives.
  REQUIRE(pong.is_ok());
  CHECK(pong->uptime_ms == 7);
  auto closed = client.read_frame(5000);
  CHECK(closed.status().code() == StatusCode::kUnavailable);
  CHECK(client.peer_closed());
  auto after = client.ping();
  CHECK(after.is_transport_error());
}

TEST_CASE("a connection-level error frame answers the waiting call") {
  FakeServer server([](const Frame& f, FakeServer& s) {
    s.send(encode_error_frame(kConnectionStreamId, f.header.opcode, wire::ErrorCode::ShuttingDown,
                              "draining"));
  });
  WireClient client = connect_to(server);
  auto reply = client.list_tables();
  REQUIRE(reply.is_server_error());
  CHECK(reply.error_code() == wire::ErrorCode::ShuttingDown);
}

TEST_CASE("a response for another opcode is a transport error") {
  FakeServer server([](const Frame& f, FakeServer& s) {
    FlatBufferBuilder fbb;
    fbb.Finish(wire::CreateFlushResponse(fbb));
    s.send(response(f.header.stream_id, Opcode::kFlush, fbb));
  });
  WireClient client = connect_to(server);
  auto reply = client.compact("t");
  REQUIRE(reply.is_transport_error());
  CHECK(reply.transport_status().is_corruption());
}

TEST_CASE("table, query, topology and admin responses decode into plain values") {
  FakeServer server([](const Frame& f, FakeServer& s) {
    FlatBufferBuilder fbb;
    const uint32_t id = f.header.stream_id;
    switch (f.header.opcode) {
      case Opcode::kCreateTable: {  // Echo the spec back, as the server would store it.
        auto req = *verify_payload<wire::CreateTableRequest>(f.payload_bytes());
        auto info = wire::CreateTableInfo(fbb, copy_spec(fbb, *req->spec()), 7, 1700, 3);
        fbb.Finish(wire::CreateCreateTableResponse(fbb, info));
        break;
      }
      case Opcode::kQuery: {
        auto req = *verify_payload<wire::QueryRequest>(f.payload_bytes());
        // Report the bounds the server saw as the items' sort keys.
        std::vector<flatbuffers::Offset<wire::QueryItem>> items;
        items.push_back(wire::CreateQueryItem(
            fbb, bytes(fbb, req->has_from() ? "from=" + str(req->from_sort_key()) : "unbounded"), 0,
            bytes(fbb, "c1")));
        items.push_back(wire::CreateQueryItem(
            fbb, bytes(fbb, req->has_to() ? "to=" + str(req->to_sort_key()) : "unbounded")));
        fbb.Finish(wire::CreateQueryResponse(fbb, fbb.CreateVector(items),
                                             bytes(fbb, std::to_string(req->limit()))));
        break;
      }
      case Opcode::kTopology: {
        std::vector<flatbuffers::Offset<wire::NodeInfo>> nodes;
        const std::vector<uint64_t> tokens = {1, 1ull << 63};
        nodes.push_back(wire::CreateNodeInfoDirect(fbb, "n1", "10.0.0.1:7100", "10.0.0.1:8080",
                                                   "dc1", "r1", "normal", &tokens, "alive", 99));
        fbb.Finish(wire::CreateTopologyResponse(fbb, fbb.CreateString("xxh3-64"),
                                                fbb.CreateVector(nodes), 5));
        break;
      }
      case Opcode::kInfo: {
        std::vector<flatbuffers::Offset<wire::KeyValue>> kv = {
            wire::CreateKeyValueDirect(fbb, "version", "0.1.0"),
            wire::CreateKeyValueDirect(fbb, "uptime_ms", "12")};
        fbb.Finish(wire::CreateInfoResponse(fbb, fbb.CreateVector(kv)));
        break;
      }
      default:
        s.send(encode_error_frame(id, f.header.opcode, wire::ErrorCode::UnknownOpcode, "no"));
        return;
    }
    s.send(response(id, f.header.opcode, fbb));
  });
  WireClient client = connect_to(server);

  TableSpec spec;
  spec.name = "orders";
  spec.owner = "billing";
  spec.replication = {{"dc1", 3}, {"dc2", 2}};
  spec.write_consistency = wire::Consistency::LocalQuorum;
  spec.conflict_mode = wire::ConflictMode::Lww;
  spec.default_ttl_ms = 86400000;
  spec.siblings_max = 50;
  spec.sloppy_quorum = false;
  auto created = client.create_table(spec, true);
  INFO(created.describe());
  REQUIRE(created.is_ok());
  CHECK(created->table_id == 7);
  CHECK(created->created_at_ms == 1700);
  CHECK(created->schema_version == 3);
  CHECK(created->spec.name == "orders");
  CHECK(created->spec.owner == "billing");
  REQUIRE(created->spec.replication.size() == 2);
  CHECK(created->spec.replication[1].dc == "dc2");
  CHECK(created->spec.replication[1].rf == 2);
  CHECK(created->spec.write_consistency == wire::Consistency::LocalQuorum);
  CHECK(created->spec.conflict_mode == wire::ConflictMode::Lww);
  CHECK(created->spec.default_ttl_ms == 86400000);
  CHECK(created->spec.siblings_max == 50);
  CHECK_FALSE(created->spec.sloppy_quorum);

  auto page =
      client.query({.table = "orders", .partition_key = "p", .from_sort_key = "", .limit = 10});
  REQUIRE(page.is_ok());
  REQUIRE(page->items.size() == 2);
  CHECK(page->items[0].sort_key == "from=");  // An empty lower bound is still a bound.
  CHECK(page->items[0].context == "c1");
  CHECK(page->items[1].sort_key == "unbounded");
  CHECK(page->next_page_token == "10");

  auto topology = client.topology();
  REQUIRE(topology.is_ok());
  CHECK(topology->partitioner == "xxh3-64");
  CHECK(topology->ring_version == 5);
  REQUIRE(topology->nodes.size() == 1);
  CHECK(topology->nodes[0].address == "10.0.0.1:7100");
  CHECK(topology->nodes[0].tokens == std::vector<uint64_t>{1, 1ull << 63});
  CHECK(topology->nodes[0].load_bytes == 99);

  auto info = client.info();
  REQUIRE(info.is_ok());
  REQUIRE(info->find("version") != nullptr);
  CHECK(*info->find("version") == "0.1.0");
  CHECK(info->find("absent") == nullptr);

  auto unknown = client.flush();
  CHECK(unknown.error_code() == wire::ErrorCode::UnknownOpcode);
}

TEST_CASE("connect to a closed port fails with a status") {
  int port = 0;
  {
    FakeServer server([](const Frame&, FakeServer&) {});
    port = server.port();
  }
  auto client = WireClient::connect("127.0.0.1", static_cast<uint16_t>(port));
  CHECK_FALSE(client.is_ok());
}
