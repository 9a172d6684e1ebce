#include "sim/lib/network.h"

#include <cmath>

#include "common/assert.h"

namespace pairdb::sim {

void Network::attach(const std::string& addr, Handler handler) {
  PAIRDB_ASSERT(!addr.empty());
  endpoints_[addr] = std::move(handler);
}

void Network::detach(const std::string& addr) { endpoints_.erase(addr); }

void Network::partition(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      block(x, y);
      block(y, x);
    }
  }
}

void Network::send(const std::string& from, const std::string& to, std::string bytes) {
  EndpointStats& s = stats_[from];
  ++s.messages_sent;
  s.bytes_sent += bytes.size();
  ++total_messages_;
  total_bytes_ += bytes.size();
  Rng& rng = sim_.rng();
  if (rng.chance(config_.loss) || blocked_.count({from, to}) != 0) return;
  const int copies = rng.chance(config_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    const double jitter = -std::log(1.0 - rng.next_double()) *
                          static_cast<double>(config_.latency_jitter_mean.count());
    const Duration delay = config_.latency_base + Duration(static_cast<int64_t>(jitter));
    sim_.schedule_after(delay, [this, from, to, bytes] { deliver(from, to, bytes); });
  }
}

void Network::deliver(const std::string& from, const std::string& to, const std::string& bytes) {
  auto it = endpoints_.find(to);
  if (it == endpoints_.end()) return;
  ++stats_[to].messages_received;
  it->second(from, bytes);
}

}  // namespace pairdb::sim
