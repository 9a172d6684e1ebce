// Shared by the replication unit tests: node ids, write builders and the seed knob.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <pairdb/replication/version.h>

namespace pairdb::replication::testing {

inline ring::NodeId node(uint64_t n) { return ring::NodeId::from_words(0xabc, n); }

inline LocalWrite put_write(std::string value, VersionVector context = {},
                            std::string idempotency_key = "") {
  LocalWrite w;
  w.context = std::move(context);
  w.value = std::move(value);
  w.content_type = "application/octet-stream";
  w.idempotency_key = std::move(idempotency_key);
  return w;
}

inline LocalWrite delete_write(VersionVector context) {
  LocalWrite w;
  w.context = std::move(context);
  w.tombstone = true;
  return w;
}

// Applies a write that must succeed.
inline WriteOutcome apply_ok(const VersionRecord& current, const LocalWrite& write,
                             const ring::NodeId& self, uint64_t wall_ms,
                             const WritePolicy& policy = {}) {
  auto out =
      apply_write(current, write, self, HlcTimestamp::from_parts(wall_ms, 0), wall_ms, policy);
  REQUIRE(out.is_ok());
  return std::move(out).value();
}

// Randomised tests run seeds 1..N (PAIRDB_REPLICATION_SEEDS, default given), or only the seed in
// PAIRDB_REPLICATION_SEED; each run reports its seed on failure.
inline uint64_t env_knob(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

// The knobs are named `<prefix>_SEEDS` and `<prefix>_SEED`.
template <typename Fn>
void for_each_seed(uint64_t default_seeds, Fn&& fn,
                   const std::string& prefix = "PAIRDB_REPLICATION") {
  const uint64_t only = env_knob((prefix + "_SEED").c_str(), 0);
  const uint64_t seeds = env_knob((prefix + "_SEEDS").c_str(), default_seeds);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const uint64_t s = only != 0 ? only : seed;
    INFO("seed=" << s << " (replay with " << prefix << "_SEED=" << s << ")");
    fn(s);
    if (only != 0) break;
  }
}

}  // namespace pairdb::replication::testing

// Readable failure messages for records compared with CHECK(a == b).
template <>
struct Catch::StringMaker<pairdb::replication::VersionRecord> {
  static std::string convert(const pairdb::replication::VersionRecord& r) {
    std::ostringstream out;
    out << "{context:";
    for (const auto& d : r.context.entries()) out << " " << d.node.low_word() << ":" << d.counter;
    out << " siblings:";
    for (const auto& s : r.siblings) {
      out << " (" << s.dot.node.low_word() << ":" << s.dot.counter << (s.tombstone ? " del" : "")
          << " ts=" << s.timestamp.value << " v=" << Catch::Detail::stringify(s.value) << ")";
    }
    out << " idempotency:";
    for (const auto& e : r.idempotency) {
      out << " " << e.key << "@" << e.applied_at_ms << "=" << e.dot.node.low_word() << ":"
          << e.dot.counter;
    }
    return out.str() + "}";
  }
};
