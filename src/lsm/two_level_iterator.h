// An iterator over a sequence of blocks: an index iterator yields one value per block (e.g. an
// encoded BlockHandle) and a function opens each block as an iterator.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include <pairdb/lsm/iterator.h>

namespace pairdb::lsm {

// Opens the block that an index entry's value names. Errors come back as an iterator whose
// status() is not OK (see new_empty_iterator).
using BlockOpener = std::function<std::unique_ptr<Iterator>(std::string_view index_value)>;

// Concatenates the blocks in index order. One thread at a time (like every Iterator).
// An error in the index or in a block stops the iteration: the iterator becomes invalid and
// status() reports the error. It never skips a damaged block to show the ones after it.
// REQUIRES: index_iter non-null; opener callable for the iterator's lifetime.
std::unique_ptr<Iterator> new_two_level_iterator(std::unique_ptr<Iterator> index_iter,
                                                 BlockOpener opener);

}  // namespace pairdb::lsm
