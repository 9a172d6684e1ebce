// Range merge: how a coordinator joins replicas' pages of one partition (Query at R > 1) into
// one page. Pure functions; safe on any thread.
//
// Each replica answers the records it holds past the same resume point, in sort-key order, at
// most some number of them, and says whether it stopped short (resume_after). Replicas hold
// different sets of items, so a replica that stopped short at sort key k says nothing about
// keys past k. The merged page therefore holds exactly the sort keys up to the smallest stopping
// point of the pages that stopped short, each key's records joined with the one record merge;
// the rest is left for the next page, which resumes after that point (through any
// coordinator: the point is a sort key, not a replica).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pairdb/replication/version.h>

namespace pairdb::replication {

struct RangeEntry {
  std::string sort_key;
  VersionRecord record;
};

struct RangePage {
  std::vector<RangeEntry> entries;          // Strictly increasing sort keys.
  std::optional<std::string> resume_after;  // Set when the replica stopped short.
};

// REQUIRES: each page's sort keys strictly increase, and when resume_after is set it is not
// below the page's last key. Invariant of the result: sort keys strictly increase, none past
// resume_after when it is set.
RangePage merge_range_pages(const std::vector<RangePage>& pages, ConflictMode mode);

}  // namespace pairdb::replication
