// merge: the join of two replicas' copies of one item.
#include <algorithm>

#include <pairdb/replication/version.h>

#include "common/assert.h"
#include "replication/version_internal.h"

namespace pairdb::replication {

namespace detail {

void keep_youngest(std::vector<IdempotencyEntry>* entries, size_t keep) {
  if (entries->size() > keep) {
    std::sort(entries->begin(), entries->end(), age_less);
    entries->erase(entries->begin(), entries->end() - static_cast<ptrdiff_t>(keep));
  }
  std::sort(entries->begin(), entries->end(),
            [](const IdempotencyEntry& a, const IdempotencyEntry& b) { return a.key < b.key; });
  PAIRDB_ASSERT(entries->size() <= keep);
}

}  // namespace detail

namespace {

// A sibling of one side survives unless the other side's context covers it without holding it.
// Both inputs are sorted by dot, and so is the result.
std::vector<Sibling> merge_siblings(const VersionRecord& a, const VersionRecord& b) {
  std::vector<Sibling> out;
  auto i = a.siblings.begin();
  auto j = b.siblings.begin();
  while (i != a.siblings.end() || j != b.siblings.end()) {
    if (j == b.siblings.end() || (i != a.siblings.end() && i->dot < j->dot)) {
      if (!b.context.covers(i->dot)) out.push_back(*i);
      ++i;
    } else if (i == a.siblings.end() || j->dot < i->dot) {
      if (!a.context.covers(j->dot)) out.push_back(*j);
      ++j;
    } else {
      // One dot is one write, so both copies should be equal; if not, pick the same on every
      // replica.
      out.push_back(std::min(*i, *j));
      ++i;
      ++j;
    }
  }
  return out;
}

// kLww ignores contexts: the winner of the union. Taking a maximum is what keeps the merge
// associative; apply_write already made causal successors win by timestamp.
std::vector<Sibling> merge_lww(const VersionRecord& a, const VersionRecord& b) {
  const Sibling* winner = nullptr;
  for (const auto* side : {&a, &b}) {
    for (const Sibling& s : side->siblings) {
      if (winner == nullptr || detail::lww_less(*winner, s)) winner = &s;
    }
  }
  if (winner == nullptr) return {};
  return {*winner};
}

// Union by key, keeping the latest application of each key, then the `keep` most recent keys.
// Both steps pick maxima of one total order (age_less), which makes the result independent of
// how merges are grouped.
std::vector<IdempotencyEntry> merge_idempotency(const VersionRecord& a, const VersionRecord& b,
                                                size_t keep) {
  std::vector<IdempotencyEntry> all;
  all.reserve(a.idempotency.size() + b.idempotency.size());
  all.insert(all.end(), a.idempotency.begin(), a.idempotency.end());
  all.insert(all.end(), b.idempotency.begin(), b.idempotency.end());
  std::sort(all.begin(), all.end());  // By key, then age: the last of each key is the latest.
  std::vector<IdempotencyEntry> latest;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i + 1 < all.size() && all[i + 1].key == all[i].key) continue;
    latest.push_back(std::move(all[i]));
  }
  detail::keep_youngest(&latest, keep);
  return latest;
}

}  // namespace

VersionRecord merge(const VersionRecord& a, const VersionRecord& b, ConflictMode mode,
                    uint32_t idempotency_keys_max) {
  PAIRDB_DASSERT(validate_record(a).is_ok());
  PAIRDB_DASSERT(validate_record(b).is_ok());
  VersionRecord out;
  out.context = join(a.context, b.context);
  out.siblings = mode == ConflictMode::kLww ? merge_lww(a, b) : merge_siblings(a, b);
  out.idempotency = merge_idempotency(a, b, idempotency_keys_max);
  PAIRDB_ASSERT(out.context.descends(a.context));
  PAIRDB_ASSERT(validate_record(out).is_ok());
  return out;
}

}  // namespace pairdb::replication
