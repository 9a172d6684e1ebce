#include <pairdb/replication/version_vector.h>

#include <algorithm>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::replication {

namespace {

bool node_less(const Dot& entry, const ring::NodeId& node) { return entry.node < node; }

}  // namespace

Result<VersionVector> VersionVector::from_entries(std::vector<Dot> entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].counter == 0) {
      return Status::invalid_argument(fmt::format("version vector entry {} has counter 0", i));
    }
    if (i > 0 && !(entries[i - 1].node < entries[i].node)) {
      return Status::invalid_argument(
          fmt::format("version vector entry {} is not in ascending node order", i));
    }
  }
  VersionVector vv;
  vv.entries_ = std::move(entries);
  return vv;
}

uint64_t VersionVector::get(const ring::NodeId& node) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), node, node_less);
  return (it != entries_.end() && it->node == node) ? it->counter : 0;
}

bool VersionVector::covers(const Dot& dot) const { return dot.counter <= get(dot.node); }

bool VersionVector::descends(const VersionVector& other) const {
  auto mine = entries_.begin();
  for (const Dot& theirs : other.entries_) {
    while (mine != entries_.end() && mine->node < theirs.node) ++mine;
    if (mine == entries_.end() || mine->node != theirs.node) return false;
    if (mine->counter < theirs.counter) return false;
  }
  return true;
}

void VersionVector::merge(const VersionVector& other) {
  std::vector<Dot> merged;
  merged.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->node < b->node)) {
      merged.push_back(*a++);
    } else if (a == entries_.end() || b->node < a->node) {
      merged.push_back(*b++);
    } else {
      merged.push_back(Dot{a->node, std::max(a->counter, b->counter)});
      ++a;
      ++b;
    }
  }
  entries_ = std::move(merged);
  PAIRDB_DASSERT(descends(other));
}

void VersionVector::add(const Dot& dot) {
  if (dot.counter == 0) return;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), dot.node, node_less);
  if (it != entries_.end() && it->node == dot.node) {
    it->counter = std::max(it->counter, dot.counter);
  } else {
    entries_.insert(it, dot);
  }
  PAIRDB_ASSERT(covers(dot));
}

VersionVector join(const VersionVector& a, const VersionVector& b) {
  VersionVector out = a;
  out.merge(b);
  return out;
}

}  // namespace pairdb::replication
