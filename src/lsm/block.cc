#include "lsm/block.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"

namespace pairdb::lsm {
namespace {

constexpr uint32_t kRestartEntryBytes = sizeof(uint32_t);

// One entry as stored: the key suffix beyond the prefix shared with the previous key.
struct StoredEntry {
  uint32_t shared = 0;
  std::string_view key_suffix;
  std::string_view value;
  uint32_t end = 0;  // Offset one past the entry.
};

// Decodes the entry at `offset` of data[0, limit). Nullopt when any field runs past limit.
std::optional<StoredEntry> decode_entry(const char* data, uint32_t limit, uint32_t offset) {
  const char* p = data + offset;
  const char* const end = data + limit;
  uint32_t shared = 0;
  uint32_t non_shared = 0;
  uint32_t value_bytes = 0;
  if ((p = decode_varint32(p, end, &shared)) == nullptr) return std::nullopt;
  if ((p = decode_varint32(p, end, &non_shared)) == nullptr) return std::nullopt;
  if ((p = decode_varint32(p, end, &value_bytes)) == nullptr) return std::nullopt;
  if (uint64_t{non_shared} + value_bytes > static_cast<uint64_t>(end - p)) return std::nullopt;
  StoredEntry entry;
  entry.shared = shared;
  entry.key_suffix = std::string_view(p, non_shared);
  entry.value = std::string_view(p + non_shared, value_bytes);
  entry.end = static_cast<uint32_t>(p + non_shared + value_bytes - data);
  return entry;
}

}  // namespace

// Walks one well-formed-looking Block. One thread at a time.
// Invariant: valid() iff current_ < data_bytes_; then key_/value_ hold the entry at current_ and
// next_ is the offset after it. A corruption is sticky: the iterator stays invalid.
class BlockIterator final : public Iterator {
 public:
  BlockIterator(const Block* block, std::shared_ptr<const Block> owner,
                const Comparator* comparator)
      : block_(block),
        owner_(std::move(owner)),
        comparator_(comparator),
        data_(block->contents_.data()),
        data_bytes_(block->data_bytes_),
        restart_count_(block->restart_count_),
        current_(data_bytes_),
        next_(data_bytes_) {
    PAIRDB_ASSERT(block->status().is_ok());
    PAIRDB_ASSERT(restart_count_ >= 1);
  }

  bool valid() const override { return current_ < data_bytes_; }
  Status status() const override { return status_; }
  std::string_view key() const override {
    PAIRDB_ASSERT(valid());
    return key_;
  }
  std::string_view value() const override {
    PAIRDB_ASSERT(valid());
    return value_;
  }

  void seek_to_first() override {
    if (!status_.is_ok()) return;
    seek_to_restart(0);
    parse_next();
  }

  void seek_to_last() override {
    if (!status_.is_ok()) return;
    seek_to_restart(restart_count_ - 1);
    if (!parse_next()) return;
    while (next_ < data_bytes_) {
      if (!parse_next()) return;
    }
  }

  void seek(std::string_view target) override;
  void next() override {
    PAIRDB_ASSERT(valid());
    parse_next();
  }
  void prev() override;

 private:
  void mark_invalid() {
    current_ = data_bytes_;
    next_ = data_bytes_;
    key_.clear();
    value_ = {};
  }

  void set_corruption(std::string_view what, uint32_t offset) {
    status_ = Status::corruption(
        fmt::format("{} at entry offset {} in {}", what, offset, block_->origin()));
    mark_invalid();
  }

  void seek_to_restart(uint32_t index) {
    PAIRDB_DASSERT(index < restart_count_);
    key_.clear();
    value_ = {};
    restart_index_ = index;
    next_ = block_->restart_point(index);
  }

  // The whole key stored at restart point `index`; nullopt (and Corruption) when malformed.
  std::optional<std::string_view> restart_key(uint32_t index) {
    uint32_t offset = block_->restart_point(index);
    std::optional<StoredEntry> entry = decode_entry(data_, data_bytes_, offset);
    if (!entry || entry->shared != 0) {
      set_corruption("malformed restart entry", offset);
      return std::nullopt;
    }
    return entry->key_suffix;
  }

  // Moves to the entry at next_. False at the end of the block or on corruption.
  bool parse_next();

  const Block* const block_;
  const std::shared_ptr<const Block> owner_;  // Null when the caller keeps the block alive.
  const Comparator* const comparator_;
  const char* const data_;
  const uint32_t data_bytes_;
  const uint32_t restart_count_;

  uint32_t current_;
  uint32_t next_;
  uint32_t restart_index_ = 0;  // The last restart point at or before current_.
  std::string key_;
  std::string_view value_;
  Status status_;
};

bool BlockIterator::parse_next() {
  current_ = next_;
  if (current_ >= data_bytes_) {
    mark_invalid();
    return false;
  }
  std::optional<StoredEntry> entry = decode_entry(data_, data_bytes_, current_);
  if (!entry || entry->shared > key_.size()) {
    set_corruption("malformed block entry", current_);
    return false;
  }
  while (restart_index_ + 1 < restart_count_ &&
         block_->restart_point(restart_index_ + 1) <= current_) {
    ++restart_index_;
  }
  if (block_->restart_point(restart_index_) == current_ && entry->shared != 0) {
    set_corruption("restart entry shares a prefix", current_);
    return false;
  }
  key_.resize(entry->shared);
  key_.append(entry->key_suffix);
  value_ = entry->value;
  next_ = entry->end;
  return true;
}

void BlockIterator::seek(std::string_view target) {
  if (!status_.is_ok()) return;
  // Find the last restart point whose key is < target; the answer is at or after it.
  uint32_t left = 0;
  uint32_t right = restart_count_ - 1;
  while (left < right) {
    uint32_t mid = left + (right - left + 1) / 2;
    std::optional<std::string_view> mid_key = restart_key(mid);
    if (!mid_key) return;
    if (comparator_->compare(*mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  seek_to_restart(left);
  while (parse_next()) {
    if (comparator_->compare(key_, target) >= 0) return;
  }
}

void BlockIterator::prev() {
  PAIRDB_ASSERT(valid());
  const uint32_t original = current_;
  // Back up to a restart point strictly before the current entry, then scan forward to the
  // entry just before it.
  while (block_->restart_point(restart_index_) >= original) {
    if (restart_index_ == 0) {
      mark_invalid();
      return;
    }
    --restart_index_;
  }
  seek_to_restart(restart_index_);
  do {
    if (!parse_next()) return;
  } while (next_ < original);
  if (next_ != original) set_corruption("entries overlap restart point", current_);
}

Block::Block(std::string contents, std::string origin)
    : storage_(std::move(contents)),
      contents_(storage_),
      origin_(std::make_shared<const std::string>(std::move(origin))),
      origin_offset_(kNoOffset) {
  parse();
}

Block::Block(std::string contents, std::shared_ptr<const std::string> file_name, uint64_t offset)
    : storage_(std::move(contents)),
      contents_(storage_),
      origin_(std::move(file_name)),
      origin_offset_(offset) {
  PAIRDB_ASSERT(origin_ != nullptr);
  parse();
}

Block::Block(std::string_view unowned, std::shared_ptr<const void> keep_alive,
             std::shared_ptr<const std::string> file_name, uint64_t offset)
    : keep_alive_(std::move(keep_alive)),
      contents_(unowned),
      origin_(std::move(file_name)),
      origin_offset_(offset) {
  PAIRDB_ASSERT(origin_ != nullptr);
  PAIRDB_ASSERT(keep_alive_ != nullptr);
  parse();
}

void Block::parse() {
  status_ = validate_restarts();
  if (!status_.is_ok()) {
    data_bytes_ = 0;
    restart_count_ = 0;
  }
}

std::string Block::origin() const {
  if (origin_offset_ == kNoOffset) return *origin_;
  return fmt::format("{} block at offset {}", *origin_, origin_offset_);
}

uint32_t Block::restart_point(uint32_t index) const {
  PAIRDB_DASSERT(index < restart_count_);
  return decode_fixed32(contents_.data() + data_bytes_ + size_t{index} * kRestartEntryBytes);
}

Status Block::validate_restarts() {
  const size_t size = contents_.size();
  if (size < kRestartEntryBytes || size > UINT32_MAX) {
    return Status::corruption(fmt::format("bad block size {} in {}", size, origin()));
  }
  uint32_t count = decode_fixed32(contents_.data() + size - kRestartEntryBytes);
  size_t count_max = (size - kRestartEntryBytes) / kRestartEntryBytes;
  if (count == 0 || count > count_max) {
    return Status::corruption(
        fmt::format("bad restart count {} (block size {}) in {}", count, size, origin()));
  }
  restart_count_ = count;
  data_bytes_ = static_cast<uint32_t>(size - kRestartEntryBytes * (size_t{count} + 1));
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t point = restart_point(i);
    bool in_order = (i == 0) ? point == 0 : (point > restart_point(i - 1) && point < data_bytes_);
    if (!in_order) {
      return Status::corruption(fmt::format("bad restart point {} = {} (entries end at {}) in {}",
                                            i, point, data_bytes_, origin()));
    }
  }
  return Status::ok();
}

std::unique_ptr<Iterator> Block::new_iterator(const Comparator* comparator) const {
  PAIRDB_ASSERT(comparator != nullptr);
  if (!status_.is_ok()) return new_empty_iterator(status_);
  return std::make_unique<BlockIterator>(this, nullptr, comparator);
}

std::unique_ptr<Iterator> Block::new_iterator(std::shared_ptr<const Block> block,
                                              const Comparator* comparator) {
  PAIRDB_ASSERT(block != nullptr);
  PAIRDB_ASSERT(comparator != nullptr);
  if (!block->status().is_ok()) return new_empty_iterator(block->status());
  const Block* raw = block.get();
  return std::make_unique<BlockIterator>(raw, std::move(block), comparator);
}

}  // namespace pairdb::lsm
