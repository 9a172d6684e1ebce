// Iterators that combine other iterators: a k-way merge and an always-empty iterator.
#pragma once

#include <memory>
#include <vector>

#include <pairdb/lsm/comparator.h>
#include <pairdb/lsm/iterator.h>
#include <pairdb/status.h>

#include "lsm/empty_iterator.h"

namespace pairdb::lsm {

// Merges sorted children into one sorted stream (duplicates across children are all yielded,
// ordered by comparator; ties: lower child index first). In reverse the stream is exactly
// mirrored, so ties come out higher child index first.
//
// The result owns the children. It supports changing direction at any point. status() is the
// first non-OK child status in child order; once any child reports an error the merged
// iterator becomes !valid() rather than yield a stream that silently misses that child's keys.
// With no children it returns new_empty_iterator(); with one it returns that child itself.
// REQUIRES: comparator is non-null, outlives the result, and orders every child.
std::unique_ptr<Iterator> new_merging_iterator(const Comparator* comparator,
                                               std::vector<std::unique_ptr<Iterator>> children);

}  // namespace pairdb::lsm
