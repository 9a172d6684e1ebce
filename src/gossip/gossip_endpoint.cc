#include "gossip/gossip_endpoint.h"

#include <algorithm>
#include <array>

#include "gossip/codec.h"

namespace pairdb::gossip {

const char* arrival_name(Arrival a) {
  static constexpr std::array<const char*, 4> kNames = {"accepted", "malformed", "wrong channel",
                                                        "foreign cluster"};
  const auto i = static_cast<size_t>(a);
  return i < kNames.size() ? kNames[i] : "unknown";
}

void WireOutbox::clear() {
  messages.clear();
  events.clear();
  next_tick = Instant::max();
  encode_failures = 0;
}

bool load_moved(uint64_t announced, uint64_t now) {
  const uint64_t delta = now > announced ? now - announced : announced - now;
  return delta != 0 && (announced == 0 || delta >= announced / 100);
}

GossipEndpoint::GossipEndpoint(const SwimConfig& config, const SelfConfig& self, uint64_t seed,
                               uint64_t cluster_id)
    : core_(config, self, seed),
      cluster_id_(cluster_id),
      announced_schema_(self.schema_version),
      announced_load_(self.load_bytes) {}

void GossipEndpoint::start(Instant now, WireOutbox& out) {
  scratch_.clear();
  core_.start(now, scratch_);
  encode(out);
}

Arrival GossipEndpoint::on_bytes(const std::string& from_addr, std::string_view bytes,
                                 Channel arrived_on, Instant now, WireOutbox& out) {
  const size_t bound = arrived_on == Channel::kDatagram ? kDatagramBytesMax : kMetaMessageBytesMax;
  if (bytes.empty() || bytes.size() > bound) return Arrival::kMalformed;
  Result<GossipMessage> msg = decode_message(bytes);
  if (!msg.is_ok()) return Arrival::kMalformed;
  if (channel_of(*msg) != arrived_on) return Arrival::kWrongChannel;
  if (msg->cluster_id != cluster_id_) return Arrival::kForeignCluster;
  scratch_.clear();
  core_.on_message(from_addr, *msg, now, scratch_);
  encode(out);
  return Arrival::kAccepted;
}

void GossipEndpoint::tick(Instant now, WireOutbox& out) {
  scratch_.clear();
  core_.tick(now, scratch_);
  encode(out);
}

bool GossipEndpoint::offer_local_state(Instant now, uint64_t schema_version, uint64_t load_bytes,
                                       WireOutbox& out) {
  bool announced = false;
  if (schema_version != announced_schema_) {
    announced_schema_ = schema_version;
    core_.set_schema_version(schema_version);
    announced = true;
  }
  if (now >= next_load_offer_) {
    const auto members = static_cast<int64_t>(core_.alive_count() + 1);
    next_load_offer_ =
        now + std::max(kLoadAnnouncePeriodMin, kLoadAnnouncePeriodPerMember * members);
    if (load_moved(announced_load_, load_bytes)) {
      announced_load_ = load_bytes;
      core_.set_load(load_bytes);
      ++load_announcements_;
      announced = true;
    }
  }
  // The news is queued for dissemination; a tick now sends it without waiting for a probe.
  if (announced) tick(now, out);
  return announced;
}

void GossipEndpoint::encode(WireOutbox& out) {
  for (OutMessage& m : scratch_.messages) {
    m.msg.cluster_id = cluster_id_;
    Result<std::string> bytes = encode_message(m.msg);
    if (!bytes.is_ok()) {
      ++out.encode_failures;
      continue;
    }
    out.messages.push_back(
        {std::move(m.to_addr), channel_of(m.msg), std::move(bytes).value(), m.msg.body.index()});
  }
  out.events.insert(out.events.end(), scratch_.events.begin(), scratch_.events.end());
  out.next_tick = std::min(out.next_tick, scratch_.next_tick);
  scratch_.clear();
}

}  // namespace pairdb::gossip
