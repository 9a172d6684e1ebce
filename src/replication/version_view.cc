// visible and is_purgeable: what reads see of a record and when compaction may drop it.
#include <algorithm>

#include <pairdb/replication/version.h>

#include "common/assert.h"
#include "replication/version_internal.h"

namespace pairdb::replication {

namespace {

bool is_expired(const Sibling& s, uint64_t now_wall_ms) {
  return s.expires_at_ms != 0 && s.expires_at_ms <= now_wall_ms;
}

}  // namespace

ItemView visible(const VersionRecord& record, uint64_t now_wall_ms) {
  ItemView view;
  view.context = record.context;
  for (const Sibling& s : record.siblings) {
    if (!s.tombstone && !is_expired(s, now_wall_ms)) view.live.push_back(s);
  }
  PAIRDB_ASSERT(view.live.size() <= record.siblings.size());
  return view;
}

std::optional<uint64_t> dead_since(const VersionRecord& record, uint64_t now_wall_ms) {
  uint64_t latest = 0;
  for (const Sibling& s : record.siblings) {
    if (s.tombstone) {
      latest = std::max(latest, s.timestamp.wall_ms());
    } else if (is_expired(s, now_wall_ms)) {
      latest = std::max(latest, s.expires_at_ms);
    } else {
      return std::nullopt;  // Live.
    }
  }
  return latest;
}

bool predates_repair(const VersionRecord& record, uint64_t watermark_ms, uint64_t margin_ms) {
  if (record.siblings.empty() || watermark_ms == 0) return false;
  for (const Sibling& s : record.siblings) {
    if (detail::saturating_add(s.timestamp.wall_ms(), margin_ms) >= watermark_ms) return false;
  }
  return true;
}

bool is_purgeable(const VersionRecord& record, uint64_t now_wall_ms, uint64_t tombstone_grace_ms) {
  for (const Sibling& s : record.siblings) {
    uint64_t dead_since = 0;
    if (s.tombstone) {
      dead_since = s.timestamp.wall_ms();
    } else if (is_expired(s, now_wall_ms)) {
      dead_since = s.expires_at_ms;
    } else {
      return false;  // Live.
    }
    if (detail::saturating_add(dead_since, tombstone_grace_ms) > now_wall_ms) return false;
  }
  return true;
}

}  // namespace pairdb::replication
