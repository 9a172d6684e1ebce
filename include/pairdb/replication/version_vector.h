// Dots and version vectors: the causal bookkeeping of dotted version vector sets (Almeida et al.,
// "Scalable and Accurate Causality Tracking for Eventually Consistent Stores"; Riak 2.x DVV).
// A dot names one write: (the node that coordinated it, that node's per-item counter).
// A version vector summarises a set of dots: entry n means "every dot (node, 1..n) was seen".
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::replication {

// One write event. Valid dots have counter >= 1. Ordered by node, then counter; this is also
// the canonical order of siblings in a record.
struct Dot {
  ring::NodeId node;
  uint64_t counter = 0;

  auto operator<=>(const Dot&) const = default;
};

// A version vector: for each node, the highest counter seen (all lower ones are implied).
// A plain value; not thread-safe for concurrent mutation.
// Invariant: entries are strictly ascending by node and every counter is >= 1, so two vectors
// that cover the same dots are equal (==).
class VersionVector {
 public:
  VersionVector() = default;

  // Status::invalid_argument unless entries are strictly ascending by node with counters >= 1.
  static Result<VersionVector> from_entries(std::vector<Dot> entries);

  // The counter for node (0 when absent).
  uint64_t get(const ring::NodeId& node) const;
  // dot.counter <= get(dot.node).
  bool covers(const Dot& dot) const;
  // Entrywise >= other: this vector has seen everything other has.
  bool descends(const VersionVector& other) const;
  // Entrywise max (the join).
  void merge(const VersionVector& other);
  // Raises dot.node's entry to at least dot.counter (a zero counter changes nothing).
  void add(const Dot& dot);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<Dot>& entries() const { return entries_; }

  bool operator==(const VersionVector&) const = default;

 private:
  std::vector<Dot> entries_;  // Strictly ascending by node; every counter >= 1.
};

// The join of two vectors.
VersionVector join(const VersionVector& a, const VersionVector& b);

}  // namespace pairdb::replication
