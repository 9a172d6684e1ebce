#include "lsm/empty_iterator.h"

#include "common/assert.h"

namespace pairdb::lsm {

namespace {

class EmptyIterator final : public Iterator {
 public:
  explicit EmptyIterator(Status status) : status_(std::move(status)) {}
  bool valid() const override { return false; }
  void seek_to_first() override {}
  void seek_to_last() override {}
  void seek(std::string_view) override {}
  void next() override { PAIRDB_ASSERT(false); }
  void prev() override { PAIRDB_ASSERT(false); }
  std::string_view key() const override {
    PAIRDB_ASSERT(false);
    return {};
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(false);
    return {};
  }
  Status status() const override { return status_; }

 private:
  const Status status_;
};

}  // namespace

std::unique_ptr<Iterator> new_empty_iterator(Status status) {
  return std::make_unique<EmptyIterator>(std::move(status));
}

}  // namespace pairdb::lsm
