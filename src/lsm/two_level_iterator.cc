#include "lsm/two_level_iterator.h"

#include <string>
#include <utility>

#include "common/assert.h"

namespace pairdb::lsm {
namespace {

// Invariant: when data_iter_ is set it is the block named by data_index_value_, and valid()
// implies the index iterator is valid and positioned on that block.
class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(std::unique_ptr<Iterator> index_iter, BlockOpener opener)
      : opener_(std::move(opener)), index_iter_(std::move(index_iter)) {
    PAIRDB_ASSERT(index_iter_ != nullptr);
    PAIRDB_ASSERT(opener_ != nullptr);
  }

  bool valid() const override { return data_iter_ != nullptr && data_iter_->valid(); }
  std::string_view key() const override {
    PAIRDB_ASSERT(valid());
    return data_iter_->key();
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(valid());
    return data_iter_->value();
  }
  Status status() const override {
    PAIRDB_TRY(index_iter_->status());
    if (data_iter_ != nullptr) PAIRDB_TRY(data_iter_->status());
    return Status::ok();
  }

  void seek(std::string_view target) override {
    index_iter_->seek(target);
    open_data_block();
    if (data_iter_ != nullptr) data_iter_->seek(target);
    skip_empty_blocks_forward();
  }
  void seek_to_first() override {
    index_iter_->seek_to_first();
    open_data_block();
    if (data_iter_ != nullptr) data_iter_->seek_to_first();
    skip_empty_blocks_forward();
  }
  void seek_to_last() override {
    index_iter_->seek_to_last();
    open_data_block();
    if (data_iter_ != nullptr) data_iter_->seek_to_last();
    skip_empty_blocks_backward();
  }
  void next() override {
    PAIRDB_ASSERT(valid());
    data_iter_->next();
    skip_empty_blocks_forward();
  }
  void prev() override {
    PAIRDB_ASSERT(valid());
    data_iter_->prev();
    skip_empty_blocks_backward();
  }

 private:
  // Opens the block under the index iterator, reusing the open one when it is the same block.
  void open_data_block() {
    if (!index_iter_->valid()) {
      data_iter_.reset();
      return;
    }
    std::string_view value = index_iter_->value();
    if (data_iter_ != nullptr && data_iter_->status().is_ok() && value == data_index_value_) {
      return;
    }
    data_iter_ = opener_(value);
    PAIRDB_ASSERT(data_iter_ != nullptr);
    data_index_value_.assign(value);
  }

  // True when the current block is exhausted cleanly and the next one should be tried.
  bool should_move_on() const {
    if (data_iter_ == nullptr) return false;
    return !data_iter_->valid() && data_iter_->status().is_ok();
  }

  void skip_empty_blocks_forward() {
    while (should_move_on()) {
      index_iter_->next();
      open_data_block();
      if (data_iter_ != nullptr) data_iter_->seek_to_first();
    }
  }
  void skip_empty_blocks_backward() {
    while (should_move_on()) {
      index_iter_->prev();
      open_data_block();
      if (data_iter_ != nullptr) data_iter_->seek_to_last();
    }
  }

  // Declared first so it is destroyed last: the opener may own what the iterators borrow
  // (a table reader and its comparator).
  const BlockOpener opener_;
  std::unique_ptr<Iterator> index_iter_;
  std::unique_ptr<Iterator> data_iter_;  // Null when the index iterator is not valid.
  std::string data_index_value_;
};

}  // namespace

std::unique_ptr<Iterator> new_two_level_iterator(std::unique_ptr<Iterator> index_iter,
                                                 BlockOpener opener) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(opener));
}

}  // namespace pairdb::lsm
