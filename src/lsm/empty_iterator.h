// An iterator over nothing, optionally carrying an error: what a reader returns when it cannot
// open the data it was asked to iterate.
#pragma once

#include <memory>

#include <pairdb/lsm/iterator.h>

namespace pairdb::lsm {

// Never valid(); status() returns `status` (OK for a plain empty iterator).
std::unique_ptr<Iterator> new_empty_iterator(Status status = Status::ok());

}  // namespace pairdb::lsm
