// Turns an internal iterator (internal keys from memtables and tables, merged) into the user's
// view at one sequence number: each user key once, its newest visible value, deleted keys
// hidden. `pin` keeps whatever the internal iterator reads from alive (memtables, a Version).
#pragma once

#include <memory>

#include <pairdb/lsm/iterator.h>

#include "lsm/dbformat.h"

namespace pairdb::lsm {

std::unique_ptr<Iterator> new_db_iterator(const Comparator* user_comparator,
                                          std::unique_ptr<Iterator> internal,
                                          SequenceNumber sequence, std::shared_ptr<const void> pin);

}  // namespace pairdb::lsm
