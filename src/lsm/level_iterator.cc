#include "lsm/level_iterator.h"

#include <algorithm>

#include "common/coding.h"
#include "lsm/two_level_iterator.h"

namespace pairdb::lsm {

namespace {

// The "index" of a level: one entry per file, keyed by the file's largest key, whose value is
// the file's number and size (fixed64 each).
class FileListIterator final : public Iterator {
 public:
  FileListIterator(Version::FileList files, const InternalKeyComparator* comparator)
      : files_(std::move(files)), comparator_(comparator), index_(files_.size()) {}

  bool valid() const override { return index_ < files_.size(); }
  void seek_to_first() override { set(0); }
  void seek_to_last() override { set(files_.empty() ? 0 : files_.size() - 1); }
  void seek(std::string_view target) override {
    auto it = std::lower_bound(files_.begin(), files_.end(), target,
                               [&](const auto& file, std::string_view key) {
                                 return comparator_->compare(file->largest, key) < 0;
                               });
    set(static_cast<size_t>(it - files_.begin()));
  }
  void next() override {
    PAIRDB_ASSERT(valid());
    set(index_ + 1);
  }
  void prev() override {
    PAIRDB_ASSERT(valid());
    set(index_ == 0 ? files_.size() : index_ - 1);
  }
  std::string_view key() const override {
    PAIRDB_ASSERT(valid());
    return files_[index_]->largest;
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(valid());
    return std::string_view(value_, sizeof(value_));
  }
  Status status() const override { return Status::ok(); }

 private:
  void set(size_t index) {
    index_ = std::min(index, files_.size());
    if (valid()) {
      encode_fixed64(value_, files_[index_]->number);
      encode_fixed64(value_ + 8, files_[index_]->file_size);
    }
  }

  const Version::FileList files_;
  const InternalKeyComparator* const comparator_;
  size_t index_;  // files_.size() when not valid.
  char value_[16];
};

}  // namespace

std::unique_ptr<Iterator> new_level_iterator(Version::FileList files, TableCache* tables,
                                             const InternalKeyComparator* comparator) {
  auto index = std::make_unique<FileListIterator>(std::move(files), comparator);
  return new_two_level_iterator(std::move(index),
                                [tables](std::string_view file_value) -> std::unique_ptr<Iterator> {
                                  PAIRDB_ASSERT(file_value.size() == 16);
                                  uint64_t number = decode_fixed64(file_value.data());
                                  uint64_t size = decode_fixed64(file_value.data() + 8);
                                  auto table = tables->find(number, size);
                                  if (!table.is_ok()) return new_empty_iterator(table.status());
                                  return (*table)->new_iterator();
                                });
}

}  // namespace pairdb::lsm
