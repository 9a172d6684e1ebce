#include "lsm/db_iter.h"

#include <fmt/format.h>

namespace pairdb::lsm {

namespace {

// Invariants: in kForward the internal iterator is at the entry yielding key()/value(). In
// kReverse it is just before every entry of key() (or invalid), and saved_key_/saved_value_
// hold the current pair.
class DbIterator final : public Iterator {
 public:
  DbIterator(const Comparator* ucmp, std::unique_ptr<Iterator> internal, SequenceNumber sequence,
             std::shared_ptr<const void> pin)
      : ucmp_(ucmp), iter_(std::move(internal)), sequence_(sequence), pin_(std::move(pin)) {}

  bool valid() const override { return valid_; }
  std::string_view key() const override {
    PAIRDB_ASSERT(valid_);
    return direction_ == Direction::kForward ? extract_user_key(iter_->key())
                                             : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(valid_);
    return direction_ == Direction::kForward ? iter_->value() : std::string_view(saved_value_);
  }
  Status status() const override { return status_.is_ok() ? iter_->status() : status_; }

  void seek_to_first() override {
    direction_ = Direction::kForward;
    clear_saved();
    iter_->seek_to_first();
    if (iter_->valid())
      find_next_user_entry(false);
    else
      valid_ = false;
  }

  void seek_to_last() override {
    direction_ = Direction::kReverse;
    clear_saved();
    iter_->seek_to_last();
    find_prev_user_entry();
  }

  void seek(std::string_view target) override {
    direction_ = Direction::kForward;
    clear_saved();
    iter_->seek(make_lookup_key(target, sequence_));
    if (iter_->valid())
      find_next_user_entry(false);
    else
      valid_ = false;
  }

  void next() override;
  void prev() override;

 private:
  enum class Direction { kForward, kReverse };

  void clear_saved() {
    saved_key_.clear();
    saved_value_.clear();
  }
  bool parse_current(ParsedInternalKey* parsed);
  void find_next_user_entry(bool skipping);
  void find_prev_user_entry();

  const Comparator* const ucmp_;
  std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  std::shared_ptr<const void> pin_;
  Status status_;
  std::string saved_key_;    // kReverse: current key. kForward: the key being skipped.
  std::string saved_value_;  // kReverse: current value.
  Direction direction_ = Direction::kForward;
  bool valid_ = false;
};

bool DbIterator::parse_current(ParsedInternalKey* parsed) {
  if (parse_internal_key(iter_->key(), parsed)) return true;
  status_ = Status::corruption("malformed internal key while iterating");
  valid_ = false;
  return false;
}

// Moves forward from the current internal entry to the first visible, live user entry. With
// `skipping`, entries whose user key is <= saved_key_ are passed over.
void DbIterator::find_next_user_entry(bool skipping) {
  PAIRDB_ASSERT(iter_->valid());
  PAIRDB_ASSERT(direction_ == Direction::kForward);
  do {
    ParsedInternalKey ikey;
    if (!parse_current(&ikey)) return;
    if (ikey.sequence <= sequence_) {
      if (ikey.type == ValueType::kDeletion) {
        saved_key_.assign(ikey.user_key);  // Hide every older entry of this key.
        skipping = true;
      } else if (!skipping || ucmp_->compare(ikey.user_key, saved_key_) > 0) {
        valid_ = true;
        saved_key_.clear();
        return;
      }
    }
    iter_->next();
  } while (iter_->valid());
  saved_key_.clear();
  valid_ = false;
}

// Moves backward to the newest visible value of the previous live user key; leaves the internal
// iterator before all of that key's entries.
void DbIterator::find_prev_user_entry() {
  PAIRDB_ASSERT(direction_ == Direction::kReverse);
  ValueType value_type = ValueType::kDeletion;
  while (iter_->valid()) {
    ParsedInternalKey ikey;
    if (!parse_current(&ikey)) return;
    if (ikey.sequence <= sequence_) {
      if (value_type != ValueType::kDeletion && ucmp_->compare(ikey.user_key, saved_key_) < 0) {
        break;  // Passed every entry of saved_key_, whose newest visible entry is a value.
      }
      value_type = ikey.type;
      if (value_type == ValueType::kDeletion) {
        clear_saved();
      } else {
        saved_key_.assign(ikey.user_key);
        saved_value_.assign(iter_->value());
      }
    }
    iter_->prev();
  }
  if (value_type == ValueType::kDeletion) {
    valid_ = false;
    clear_saved();
    direction_ = Direction::kForward;
  } else {
    valid_ = true;
  }
}

void DbIterator::next() {
  PAIRDB_ASSERT(valid_);
  if (direction_ == Direction::kReverse) {
    direction_ = Direction::kForward;
    // The internal iterator is before key()'s entries: step onto them; saved_key_ is key().
    if (iter_->valid())
      iter_->next();
    else
      iter_->seek_to_first();
    if (!iter_->valid()) {
      valid_ = false;
      clear_saved();
      return;
    }
  } else {
    saved_key_.assign(extract_user_key(iter_->key()));
    iter_->next();
    if (!iter_->valid()) {
      valid_ = false;
      saved_key_.clear();
      return;
    }
  }
  find_next_user_entry(true);
}

void DbIterator::prev() {
  PAIRDB_ASSERT(valid_);
  if (direction_ == Direction::kForward) {
    // Step back until before every entry of the current key.
    saved_key_.assign(extract_user_key(iter_->key()));
    while (true) {
      iter_->prev();
      if (!iter_->valid()) {
        valid_ = false;
        clear_saved();
        return;
      }
      if (ucmp_->compare(extract_user_key(iter_->key()), saved_key_) < 0) break;
    }
    direction_ = Direction::kReverse;
  }
  find_prev_user_entry();
}

}  // namespace

std::unique_ptr<Iterator> new_db_iterator(const Comparator* user_comparator,
                                          std::unique_ptr<Iterator> internal,
                                          SequenceNumber sequence,
                                          std::shared_ptr<const void> pin) {
  return std::make_unique<DbIterator>(user_comparator, std::move(internal), sequence,
                                      std::move(pin));
}

}  // namespace pairdb::lsm
