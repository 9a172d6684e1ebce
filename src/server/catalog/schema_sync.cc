#include "server/catalog/schema_sync.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <optional>
#include <vector>

#include "common/assert.h"
#include "net/frame.h"
#include "net/wire.h"
#include "server/config/host_port.h"
#include "server/log.h"
#include "server/wire/wire_cluster.h"

namespace pairdb::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t kPullStreamId = 1;

Status from_error(const boost::system::error_code& ec, std::string_view what,
                  const std::string& address) {
  return Status::unavailable(
      fmt::format("schema pull from {}: {}: {}", address, what, ec.message()));
}

}  // namespace

SchemaSync::SchemaSync(asio::io_context& io, asio::thread_pool& workers, SchemaSyncOptions options,
                       replication::ClusterView* view, Catalog* catalog, MetricsRegistry* metrics)
    : options_(options),
      strand_(asio::make_strand(io)),
      workers_(workers),
      view_(view),
      catalog_(catalog),
      timer_(strand_),
      pulls_ok_(metrics->counter("pairdb_schema_pulls_total",
                                 "Catalog pulls from peers, by outcome", {{"outcome", "ok"}})),
      pulls_failed_(metrics->counter("pairdb_schema_pulls_total",
                                     "Catalog pulls from peers, by outcome",
                                     {{"outcome", "error"}})) {
  PAIRDB_ASSERT(view_ != nullptr && catalog_ != nullptr);
}

void SchemaSync::start() { asio::co_spawn(strand_, loop(), asio::detached); }

void SchemaSync::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
}

std::vector<const replication::ClusterMember*> schema_peers(
    const replication::ClusterSnapshot& cluster, uint64_t own_digest) {
  std::vector<const replication::ClusterMember*> peers;
  for (const replication::ClusterMember& m : cluster.members) {
    if (m.is_self || m.meta == nullptr || m.liveness != gossip::Liveness::kAlive) continue;
    if (m.schema_version != 0 && m.schema_version != own_digest) peers.push_back(&m);
  }
  return peers;
}

asio::awaitable<void> SchemaSync::loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    timer_.expires_after(options_.interval);
    co_await timer_.async_wait(kUseTuple);
    if (stopped_) break;
    const std::shared_ptr<const replication::ClusterSnapshot> cluster = view_->snapshot();
    const std::vector<const replication::ClusterMember*> peers =
        schema_peers(*cluster, catalog_->digest());
    if (peers.empty()) continue;
    const replication::ClusterMember& peer =
        *peers[schema_peer_for_round(next_peer_++, peers.size())];
    Result<size_t> merged = co_await pull(peer);
    if (!merged.is_ok()) {
      pulls_failed_.inc();
      PAIRDB_LOG_DEBUG("schema", "{}", merged.status().to_string());
      continue;
    }
    pulls_ok_.inc();
    if (*merged > 0) {
      PAIRDB_LOG_INFO("schema",
                      "merged {} catalog change(s) from node {} at {}; digest now {:016x}", *merged,
                      peer.id.to_string(), peer.meta->client_addr, catalog_->digest());
    }
  }
}

asio::awaitable<Result<size_t>> SchemaSync::pull(const replication::ClusterMember& member) {
  const std::string address = member.meta->client_addr;  // A copy: the snapshot may go away.
  Result<CatalogState> state = co_await fetch(address);
  if (!state.is_ok()) co_return state.status();
  // The merge writes (and syncs) the LSM: it runs on the worker pool, and this coroutine
  // resumes on its strand once it is done.
  std::optional<Result<size_t>> merged;
  co_await asio::co_spawn(
      workers_,
      [&]() -> asio::awaitable<void> {
        merged.emplace(catalog_->merge(*state));
        co_return;
      },
      asio::use_awaitable);
  PAIRDB_ASSERT(merged.has_value());
  co_return std::move(*merged);
}

asio::awaitable<Result<CatalogState>> SchemaSync::fetch(const std::string& address) {
  Result<HostPort> parsed = parse_host_port(address);
  if (!parsed.is_ok()) co_return parsed.status();
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(parsed->host, ec);
  if (ec) co_return from_error(ec, "not an IP address", address);
  auto socket = std::make_shared<tcp::socket>(strand_);
  asio::steady_timer deadline(strand_);
  deadline.expires_after(options_.pull_timeout);
  deadline.async_wait([socket](boost::system::error_code wait_ec) {
    if (wait_ec) return;
    boost::system::error_code ignored;
    socket->close(ignored);  // Fails whatever operation is pending: the pull times out.
  });
  struct CancelOnExit {
    asio::steady_timer& timer;
    ~CancelOnExit() { timer.cancel(); }
  } cancel_on_exit{deadline};

  auto [connect_ec] = co_await socket->async_connect(tcp::endpoint(ip, parsed->port), kUseTuple);
  if (connect_ec) co_return from_error(connect_ec, "connect", address);
  flatbuffers::FlatBufferBuilder request;
  request.Finish(wire::CreateSchemaPullRequest(request));
  const std::string frame =
      net::encode_request_frame(kPullStreamId, net::Opcode::kSchemaPull, request);
  auto [write_ec, written] = co_await asio::async_write(*socket, asio::buffer(frame), kUseTuple);
  if (write_ec) co_return from_error(write_ec, "write", address);

  std::array<uint8_t, net::kFrameHeaderBytes> header_bytes{};
  auto [header_ec, header_n] =
      co_await asio::async_read(*socket, asio::buffer(header_bytes), kUseTuple);
  if (header_ec) co_return from_error(header_ec, "read", address);
  const net::ParsedHeader parsed_header = net::parse_frame_header(
      std::span<const uint8_t, net::kFrameHeaderBytes>(header_bytes), kSchemaPullBytesMax);
  if (!parsed_header.is_ok()) co_return parsed_header.status();
  net::Frame response{parsed_header.header(),
                      std::string(parsed_header.header().payload_length, '\0')};
  auto [body_ec, body_n] =
      co_await asio::async_read(*socket, asio::buffer(response.payload), kUseTuple);
  if (body_ec) co_return from_error(body_ec, "read", address);
  if (response.header.stream_id != kPullStreamId ||
      response.header.opcode != net::Opcode::kSchemaPull || !response.header.is_response()) {
    co_return Status::corruption(fmt::format("schema pull from {}: unexpected frame", address));
  }
  if (response.header.is_error()) {
    auto error = net::verify_payload<wire::Error>(response.payload_bytes());
    co_return Status::unavailable(fmt::format(
        "schema pull from {}: {}", address,
        error.is_ok() && (*error)->message() != nullptr ? (*error)->message()->str() : "error"));
  }
  auto payload = net::verify_payload<wire::SchemaPullResponse>(response.payload_bytes());
  if (!payload.is_ok()) co_return payload.status();
  co_return catalog_state_from_wire(**payload);
}

}  // namespace pairdb::server
