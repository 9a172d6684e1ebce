#include "lsm/merging_iterator.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/assert.h"

namespace pairdb::lsm {
namespace {

// Yields the entries of all children in (key, child index) order, forwards or backwards.
//
// Each step scans every child for the smallest (or largest) key rather than keeping a heap.
// The engine merges few children (memtables, level-0 files, one per deeper level: typically
// fewer than 20), and for so few a scan does about as many comparisons as a heap's sift-down,
// keeps no extra state to repair when the direction changes, and is easy to check. Revisit with
// a benchmark if merges of many more children appear.
//
// Threads: one thread at a time, like every Iterator.
// Invariants: when valid, current_ indexes the child holding the current entry. Moving forward,
// every other child is at its first entry after the current one in (key, index) order; moving
// backward, at its last entry before it. When any child has failed, current_ is kNone.
class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* comparator, std::vector<std::unique_ptr<Iterator>> children)
      : comparator_(comparator), children_(std::move(children)) {
    PAIRDB_ASSERT(comparator_ != nullptr);
    for (const auto& child : children_) PAIRDB_ASSERT(child != nullptr);
  }

  bool valid() const override { return current_ != kNone; }

  void seek_to_first() override {
    for (auto& child : children_) child->seek_to_first();
    direction_ = Direction::kForward;
    find_smallest();
  }

  void seek_to_last() override {
    for (auto& child : children_) child->seek_to_last();
    direction_ = Direction::kReverse;
    find_largest();
  }

  void seek(std::string_view target) override {
    for (auto& child : children_) child->seek(target);
    direction_ = Direction::kForward;
    find_smallest();
  }

  void next() override {
    PAIRDB_ASSERT(valid());
    if (direction_ != Direction::kForward) switch_to_forward();
    children_[current_]->next();
    find_smallest();
  }

  void prev() override {
    PAIRDB_ASSERT(valid());
    if (direction_ != Direction::kReverse) switch_to_reverse();
    children_[current_]->prev();
    find_largest();
  }

  std::string_view key() const override {
    PAIRDB_ASSERT(valid());
    return children_[current_]->key();
  }

  std::string_view value() const override {
    PAIRDB_ASSERT(valid());
    return children_[current_]->value();
  }

  Status status() const override {
    for (const auto& child : children_) {
      Status status = child->status();
      if (!status.is_ok()) return status;
    }
    return Status::ok();
  }

 private:
  enum class Direction { kForward, kReverse };
  static constexpr size_t kNone = SIZE_MAX;

  void find_smallest();
  void find_largest();
  void switch_to_forward();
  void switch_to_reverse();
  // Moves `child` past every entry equal to key. Bounded by the child's entry count.
  void skip_equal(Iterator* child, std::string_view key) const;
  // Makes the iterator !valid() when any child has failed.
  void stop_on_error();

  const Comparator* const comparator_;
  std::vector<std::unique_ptr<Iterator>> children_;
  size_t current_ = kNone;
  Direction direction_ = Direction::kForward;
};

void MergingIterator::find_smallest() {
  size_t smallest = kNone;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (!children_[i]->valid()) continue;
    // Strictly less: on a tie the lower index, already chosen, stays first.
    if (smallest == kNone ||
        comparator_->compare(children_[i]->key(), children_[smallest]->key()) < 0) {
      smallest = i;
    }
  }
  current_ = smallest;
  stop_on_error();
}

void MergingIterator::find_largest() {
  size_t largest = kNone;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (!children_[i]->valid()) continue;
    // Greater or equal: on a tie the higher index comes first in reverse order.
    if (largest == kNone ||
        comparator_->compare(children_[i]->key(), children_[largest]->key()) >= 0) {
      largest = i;
    }
  }
  current_ = largest;
  stop_on_error();
}

void MergingIterator::skip_equal(Iterator* child, std::string_view key) const {
  while (child->valid() && comparator_->compare(child->key(), key) == 0) child->next();
}

// The other children sit before the current entry; move each to its first entry after it.
// Children with a lower index order their equal keys before ours, higher ones after.
void MergingIterator::switch_to_forward() {
  PAIRDB_ASSERT(direction_ == Direction::kReverse);
  // The current child is not moved below, so its key() stays valid throughout.
  const std::string_view key = children_[current_]->key();
  for (size_t i = 0; i < children_.size(); ++i) {
    if (i == current_) continue;
    children_[i]->seek(key);
    if (i < current_) skip_equal(children_[i].get(), key);
  }
  direction_ = Direction::kForward;
}

// The other children sit after the current entry; move each to its last entry before it.
void MergingIterator::switch_to_reverse() {
  PAIRDB_ASSERT(direction_ == Direction::kForward);
  const std::string_view key = children_[current_]->key();
  for (size_t i = 0; i < children_.size(); ++i) {
    if (i == current_) continue;
    Iterator* child = children_[i].get();
    child->seek(key);
    if (i < current_) skip_equal(child, key);
    // Now at the first entry after ours, so the one before it is the last entry before ours.
    if (child->valid()) {
      child->prev();
    } else {
      child->seek_to_last();
    }
  }
  direction_ = Direction::kReverse;
}

void MergingIterator::stop_on_error() {
  for (const auto& child : children_) {
    if (!child->status().is_ok()) {
      current_ = kNone;
      return;
    }
  }
}

}  // namespace

std::unique_ptr<Iterator> new_merging_iterator(const Comparator* comparator,
                                               std::vector<std::unique_ptr<Iterator>> children) {
  PAIRDB_ASSERT(comparator != nullptr);
  if (children.empty()) return new_empty_iterator();
  if (children.size() == 1) {
    PAIRDB_ASSERT(children[0] != nullptr);
    return std::move(children[0]);
  }
  return std::make_unique<MergingIterator>(comparator, std::move(children));
}

}  // namespace pairdb::lsm
