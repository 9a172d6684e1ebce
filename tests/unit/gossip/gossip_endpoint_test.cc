// GossipEndpoint's own decisions, one at a time: the stamp on what it sends, the filters on what
// it receives, and the pacing of local news. (tests/sim runs the same code across clusters.)
#include <catch2/catch.hpp>

#include <string>

#include "gossip/codec.h"
#include "gossip/gossip_endpoint.h"
#include "gossip_test_util.h"

using namespace pairdb;
using namespace pairdb::gossip;
using pairdb::gossip::testing::self_config;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kCluster = 42;

SwimConfig with_seed(std::string seed) {
  SwimConfig config;
  config.seeds = {std::move(seed)};
  return config;
}

std::string encoded(MessageBody body, uint64_t cluster_id, uint64_t sender = 2) {
  GossipMessage msg{NodeId::from_words(0, sender), std::move(body), {}};
  msg.cluster_id = cluster_id;
  Result<std::string> bytes = encode_message(msg);
  REQUIRE(bytes.is_ok());
  return *bytes;
}

Instant at_ms(int64_t ms) { return Instant::from_us(ms * 1000); }

}  // namespace

TEST_CASE("every message the endpoint sends is encoded and stamped with its cluster id") {
  GossipEndpoint endpoint(with_seed("node2"), self_config(1), 7, kCluster);
  WireOutbox out;
  endpoint.start(at_ms(0), out);
  REQUIRE_FALSE(out.messages.empty());  // It contacts the seed.
  for (const WireMessage& m : out.messages) {
    Result<GossipMessage> decoded = decode_message(m.bytes);
    REQUIRE(decoded.is_ok());
    REQUIRE(decoded->cluster_id == kCluster);
    REQUIRE(m.channel == channel_of(*decoded));
    REQUIRE(m.body_type == decoded->body.index());
    REQUIRE(m.to_addr == "node2");
  }
}

TEST_CASE("the endpoint drops what is malformed, on the wrong channel or of another cluster") {
  GossipEndpoint endpoint(SwimConfig{}, self_config(1), 7, kCluster);
  WireOutbox out;
  endpoint.start(at_ms(0), out);
  out.clear();
  const Ping ping{1, NodeId::from_words(0, 1)};
  MetaResponse meta;
  meta.meta = self_config(2).meta;

  REQUIRE(endpoint.on_bytes("node2", "", Channel::kDatagram, at_ms(1), out) == Arrival::kMalformed);
  REQUIRE(endpoint.on_bytes("node2", "junk", Channel::kDatagram, at_ms(1), out) ==
          Arrival::kMalformed);
  REQUIRE(endpoint.on_bytes("node2", std::string(kDatagramBytesMax + 1, 'x'), Channel::kDatagram,
                            at_ms(1), out) == Arrival::kMalformed);
  REQUIRE(endpoint.on_bytes("node2", encoded(ping, kCluster), Channel::kStream, at_ms(1), out) ==
          Arrival::kWrongChannel);
  REQUIRE(endpoint.on_bytes("node2", encoded(meta, kCluster), Channel::kDatagram, at_ms(1), out) ==
          Arrival::kWrongChannel);
  REQUIRE(endpoint.on_bytes("node2", encoded(ping, kCluster + 1), Channel::kDatagram, at_ms(1),
                            out) == Arrival::kForeignCluster);
  // None of them reached the core: it answered nothing and learnt no member.
  REQUIRE(out.messages.empty());
  REQUIRE(endpoint.core().members().empty());

  REQUIRE(endpoint.on_bytes("node2", encoded(ping, kCluster), Channel::kDatagram, at_ms(1), out) ==
          Arrival::kAccepted);
  // The ack, and (this node knows nobody alive yet) a push-pull request to join through node2.
  REQUIRE(out.messages.size() == 2);
  REQUIRE(std::holds_alternative<Ack>(decode_message(out.messages[0].bytes)->body));
  REQUIRE(std::holds_alternative<SyncChunk>(decode_message(out.messages[1].bytes)->body));
}

TEST_CASE("a schema change is announced at once") {
  GossipEndpoint endpoint(SwimConfig{}, self_config(1), 7, kCluster);
  WireOutbox out;
  endpoint.start(at_ms(0), out);
  const uint64_t incarnation = endpoint.core().self_state().incarnation;
  REQUIRE_FALSE(endpoint.offer_local_state(at_ms(100), 0, 0, out));  // Nothing new.
  REQUIRE(endpoint.offer_local_state(at_ms(200), 5, 0, out));
  REQUIRE(endpoint.core().self_state().schema_version == 5);
  REQUIRE(endpoint.core().self_state().incarnation > incarnation);
  REQUIRE_FALSE(endpoint.offer_local_state(at_ms(300), 5, 0, out));
}

TEST_CASE("load is announced at most once a period, and only when it moved by 1 % or from 0") {
  GossipEndpoint endpoint(SwimConfig{}, self_config(1), 7, kCluster);
  WireOutbox out;
  endpoint.start(at_ms(0), out);
  // One member (self): the period is kLoadAnnouncePeriodMin.
  const int64_t period_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(kLoadAnnouncePeriodMin).count();
  REQUIRE(endpoint.offer_local_state(at_ms(0), 0, 1000, out));  // From zero: news.
  REQUIRE(endpoint.core().self_state().load_bytes == 1000);
  REQUIRE_FALSE(endpoint.offer_local_state(at_ms(period_ms - 1), 0, 5000, out));  // Too soon.
  REQUIRE(endpoint.core().self_state().load_bytes == 1000);
  REQUIRE(endpoint.offer_local_state(at_ms(period_ms), 0, 5000, out));
  REQUIRE(endpoint.core().self_state().load_bytes == 5000);
  // Under 1 % is not news, even when the period has passed; the next period then looks again.
  REQUIRE_FALSE(endpoint.offer_local_state(at_ms(2 * period_ms), 0, 5049, out));
  REQUIRE_FALSE(endpoint.offer_local_state(at_ms(2 * period_ms + 1), 0, 6000, out));
  REQUIRE(endpoint.offer_local_state(at_ms(3 * period_ms), 0, 6000, out));
  REQUIRE(endpoint.load_announcements() == 3);
}

TEST_CASE("load_moved: from zero any change, else at least one per cent either way") {
  REQUIRE(load_moved(0, 1));
  REQUIRE_FALSE(load_moved(0, 0));
  REQUIRE_FALSE(load_moved(1000, 1000));
  REQUIRE_FALSE(load_moved(1000, 1009));
  REQUIRE(load_moved(1000, 1010));
  REQUIRE(load_moved(1000, 990));
  REQUIRE_FALSE(load_moved(1000, 991));
}
