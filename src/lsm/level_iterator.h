// Iterates all tables of one sorted level (level >= 1, non-overlapping files) as one stream,
// opening a table only when the iteration reaches it. A merge over the levels then has one
// child per level instead of one per file, and a seek touches one file per level.
#pragma once

#include <memory>

#include <pairdb/lsm/iterator.h>

#include "lsm/table_cache.h"
#include "lsm/version_set.h"

namespace pairdb::lsm {

// REQUIRES: files sorted by smallest key and non-overlapping; tables outlives the iterator.
std::unique_ptr<Iterator> new_level_iterator(Version::FileList files, TableCache* tables,
                                             const InternalKeyComparator* comparator);

}  // namespace pairdb::lsm
