// apply_write: a coordinating replica applies one client write to its copy of an item.
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include <pairdb/replication/version.h>

#include "common/assert.h"
#include "replication/version_internal.h"

namespace pairdb::replication {

namespace {

constexpr std::string_view kSiblingLimitMarker = "sibling limit: ";

// The entry for key if it was applied within the window.
std::optional<IdempotencyEntry> find_recent(const VersionRecord& record, std::string_view key,
                                            uint64_t now_wall_ms, const WritePolicy& policy) {
  if (key.empty()) return std::nullopt;
  auto it = std::lower_bound(
      record.idempotency.begin(), record.idempotency.end(), key,
      [](const IdempotencyEntry& entry, std::string_view k) { return entry.key < k; });
  if (it == record.idempotency.end() || it->key != key) return std::nullopt;
  if (detail::saturating_add(it->applied_at_ms, policy.idempotency_window_ms) <= now_wall_ms) {
    return std::nullopt;
  }
  return *it;
}

Result<Dot> next_dot(const VersionRecord& current, const LocalWrite& write,
                     const ring::NodeId& self) {
  const uint64_t seen = std::max(current.context.get(self), write.context.get(self));
  if (seen == UINT64_MAX) {
    return Status::invalid_argument(
        fmt::format("write counter of node {} would overflow", self.to_string()));
  }
  return Dot{self, seen + 1};
}

Sibling make_sibling(const LocalWrite& write, const Dot& dot, HlcTimestamp now) {
  Sibling s;
  s.dot = dot;
  s.tombstone = write.tombstone;
  s.timestamp = now;
  if (!write.tombstone) {
    s.value = write.value;
    s.content_type = write.content_type;
    s.expires_at_ms = write.expires_at_ms;
  }
  return s;
}

// kLww: the write replaces whatever its context covers, so it must outrank those siblings on
// every replica, where merge() compares timestamps only. Returns the single winner.
std::vector<Sibling> resolve_lww(const std::vector<Sibling>& current, const VersionVector& seen,
                                 Sibling incoming) {
  for (const Sibling& s : current) {
    if (seen.covers(s.dot) && s.timestamp >= incoming.timestamp) {
      incoming.timestamp.value = detail::saturating_add(s.timestamp.value, 1);
    }
  }
  const Sibling* winner = &incoming;
  for (const Sibling& s : current) {
    if (detail::lww_less(*winner, s)) winner = &s;
  }
  return {*winner};
}

// kSiblings: drops what the write's context covers and inserts the new sibling in dot order.
Result<std::vector<Sibling>> resolve_siblings(const std::vector<Sibling>& current,
                                              const VersionVector& seen, Sibling incoming,
                                              const WritePolicy& policy) {
  std::vector<Sibling> kept;
  for (const Sibling& s : current) {
    if (!seen.covers(s.dot)) kept.push_back(s);
  }
  if (kept.size() + 1 > policy.siblings_max) {
    return Status::invalid_argument(fmt::format(
        "{}item has {} siblings (max {}): read it and write with the merged context to resolve",
        kSiblingLimitMarker, kept.size(), policy.siblings_max));
  }
  auto at = std::lower_bound(kept.begin(), kept.end(), incoming,
                             [](const Sibling& a, const Sibling& b) { return a.dot < b.dot; });
  PAIRDB_ASSERT(at == kept.end() || at->dot != incoming.dot);
  kept.insert(at, std::move(incoming));
  return kept;
}

// Forgets keys past the window, then the oldest beyond the count bound, then adds key.
std::vector<IdempotencyEntry> record_key(const std::vector<IdempotencyEntry>& current,
                                         const std::string& key, const Dot& dot,
                                         uint64_t now_wall_ms, const WritePolicy& policy) {
  std::vector<IdempotencyEntry> entries;
  for (const IdempotencyEntry& e : current) {
    const bool in_window =
        detail::saturating_add(e.applied_at_ms, policy.idempotency_window_ms) > now_wall_ms;
    if (in_window && e.key != key) entries.push_back(e);
  }
  const size_t keep = policy.idempotency_keys_max;
  if (key.empty() || keep == 0) {
    detail::keep_youngest(&entries, keep);
    return entries;
  }
  // The new key is kept even if the wall clock went backwards and it looks oldest.
  detail::keep_youngest(&entries, keep - 1);
  IdempotencyEntry added{key, now_wall_ms, dot};
  auto at = std::lower_bound(entries.begin(), entries.end(), added,
                             [](const auto& a, const auto& b) { return a.key < b.key; });
  entries.insert(at, std::move(added));
  return entries;
}

}  // namespace

Result<WriteOutcome> apply_write(const VersionRecord& current, const LocalWrite& write,
                                 const ring::NodeId& self, HlcTimestamp now, uint64_t now_wall_ms,
                                 const WritePolicy& policy) {
  PAIRDB_ASSERT(!self.is_nil());
  PAIRDB_ASSERT(policy.siblings_max >= 1);
  PAIRDB_DASSERT(validate_record(current).is_ok());
  WriteOutcome out;
  if (auto seen = find_recent(current, write.idempotency_key, now_wall_ms, policy)) {
    out.record = current;
    out.dot = seen->dot;
    out.duplicate = true;
    return out;
  }
  PAIRDB_ASSIGN_OR_RETURN(out.dot, next_dot(current, write, self));
  Sibling incoming = make_sibling(write, out.dot, now);
  if (policy.mode == ConflictMode::kLww) {
    out.record.siblings = resolve_lww(current.siblings, write.context, std::move(incoming));
  } else {
    PAIRDB_ASSIGN_OR_RETURN(out.record.siblings, resolve_siblings(current.siblings, write.context,
                                                                  std::move(incoming), policy));
  }
  out.record.context = join(current.context, write.context);
  out.record.context.add(out.dot);
  out.record.idempotency =
      record_key(current.idempotency, write.idempotency_key, out.dot, now_wall_ms, policy);
  out.siblings_warn = out.record.siblings.size() > policy.siblings_warn;
  PAIRDB_ASSERT(out.record.context.covers(out.dot));
  PAIRDB_ASSERT(validate_record(out.record).is_ok());
  return out;
}

bool is_sibling_limit(const Status& status) {
  return status.is_invalid_argument() &&
         status.message().find(kSiblingLimitMarker) != std::string_view::npos;
}

}  // namespace pairdb::replication
