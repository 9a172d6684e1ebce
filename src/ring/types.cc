#include <pairdb/ring/types.h>

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/rng.h"

namespace pairdb::ring {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_dash_position(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

constexpr size_t kUuidTextBytes = 36;

}  // namespace

NodeId NodeId::random(Rng& rng) {
  NodeId id = from_words(rng.next_u64(), rng.next_u64());
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // Version 4.
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant.
  return id;
}

NodeId NodeId::from_words(uint64_t high, uint64_t low) {
  NodeId id;
  for (int i = 0; i < 8; ++i) {
    id.bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    id.bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return id;
}

uint64_t NodeId::high_word() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

uint64_t NodeId::low_word() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | bytes[i];
  return v;
}

Result<NodeId> NodeId::parse(std::string_view text) {
  if (text.size() != kUuidTextBytes) {
    return Status::invalid_argument(fmt::format("node id '{}' is not a 36-character UUID", text));
  }
  NodeId id;
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (is_dash_position(i)) {
      if (text[i] != '-') return Status::invalid_argument(fmt::format("bad node id '{}'", text));
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return Status::invalid_argument(fmt::format("bad node id '{}'", text));
    id.bytes[out++] = static_cast<uint8_t>(hi * 16 + lo);
    ++i;
  }
  PAIRDB_ASSERT(out == id.bytes.size());
  return id;
}

std::string NodeId::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(kUuidTextBytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0xf]);
  }
  PAIRDB_ASSERT(s.size() == kUuidTextBytes);
  return s;
}

uint32_t ReplicationSpec::total_rf() const {
  if (simple_rf > 0) return simple_rf;
  uint32_t total = 0;
  for (const DcReplication& d : per_dc) total += d.rf;
  return total;
}

Status ReplicationSpec::validate() const {
  if (simple_rf > 0 && !per_dc.empty()) {
    return Status::invalid_argument("replication: simple_rf and per-DC factors are exclusive");
  }
  if (per_dc.size() > kDatacentersMax) {
    return Status::invalid_argument(fmt::format("replication: more than {} DCs", kDatacentersMax));
  }
  std::unordered_set<std::string_view> seen;
  for (const DcReplication& d : per_dc) {
    if (!seen.insert(d.dc).second) {
      return Status::invalid_argument(fmt::format("replication: DC '{}' listed twice", d.dc));
    }
  }
  const uint32_t total = total_rf();
  if (total == 0 || total > kReplicationFactorMax) {
    return Status::invalid_argument(
        fmt::format("replication: total factor {} not in [1, {}]", total, kReplicationFactorMax));
  }
  return Status::ok();
}

bool TokenRange::contains(Token t) const {
  if (start == end) return true;
  if (start < end) return t > start && t <= end;
  return t > start || t <= end;  // Wraps past the largest token.
}

std::vector<std::pair<Token, Token>> inclusive_intervals(const TokenRange& r) {
  if (r.start == r.end) return {{0, UINT64_MAX}};
  if (r.start < r.end) return {{r.start + 1, r.end}};
  std::vector<std::pair<Token, Token>> out;
  out.emplace_back(0, r.end);
  if (r.start != UINT64_MAX) out.emplace_back(r.start + 1, UINT64_MAX);
  return out;
}

double TokenRange::fraction() const {
  if (start == end) return 1.0;
  const uint64_t width = end - start;  // Modular arithmetic handles the wrap.
  return static_cast<double>(width) / 18446744073709551616.0;
}

std::vector<Token> generate_tokens(Rng& rng, size_t count) {
  PAIRDB_ASSERT(count >= 1);
  PAIRDB_ASSERT(count <= kTokensPerNodeMax);
  std::vector<Token> tokens;
  tokens.reserve(count);
  while (tokens.size() < count) {
    const Token t = rng.next_u64();
    if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(t);
  }
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

}  // namespace pairdb::ring
