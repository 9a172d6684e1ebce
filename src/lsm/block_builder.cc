#include "lsm/block_builder.h"

#include <algorithm>

#include "common/assert.h"
#include "common/coding.h"

namespace pairdb::lsm {

BlockBuilder::BlockBuilder(int restart_interval, const Comparator* comparator)
    : restart_interval_(restart_interval), comparator_(comparator) {
  PAIRDB_ASSERT(restart_interval >= 1);
  PAIRDB_ASSERT(restart_interval <= kBlockRestartIntervalMax);
  PAIRDB_ASSERT(comparator != nullptr);
  reset();
}

void BlockBuilder::reset() {
  buffer_.clear();
  restarts_.assign(1, 0);
  entries_since_restart_ = 0;
  entry_count_ = 0;
  last_key_.clear();
  finished_ = false;
}

void BlockBuilder::add(std::string_view key, std::string_view value) {
  PAIRDB_ASSERT(!finished_);
  PAIRDB_DASSERT(entry_count_ == 0 || comparator_->compare(key, last_key_) > 0);
  PAIRDB_ASSERT(buffer_.size() + key.size() + value.size() <= kBlockContentBytesMax);

  size_t shared = 0;
  if (entries_since_restart_ < restart_interval_) {
    size_t limit = std::min(key.size(), last_key_.size());
    while (shared < limit && key[shared] == last_key_[shared]) ++shared;
  } else {
    restarts_.push_back(static_cast<uint32_t>(buffer_.size()));
    entries_since_restart_ = 0;
  }
  size_t non_shared = key.size() - shared;
  put_varint32(&buffer_, static_cast<uint32_t>(shared));
  put_varint32(&buffer_, static_cast<uint32_t>(non_shared));
  put_varint32(&buffer_, static_cast<uint32_t>(value.size()));
  buffer_.append(key.substr(shared));
  buffer_.append(value);

  // Keep only the new suffix: last_key_ already holds the shared prefix.
  last_key_.resize(shared);
  last_key_.append(key.substr(shared));
  PAIRDB_DASSERT(last_key_ == key);
  ++entries_since_restart_;
  ++entry_count_;
}

std::string_view BlockBuilder::finish() {
  PAIRDB_ASSERT(!finished_);
  for (uint32_t offset : restarts_) put_fixed32(&buffer_, offset);
  put_fixed32(&buffer_, static_cast<uint32_t>(restarts_.size()));
  finished_ = true;
  PAIRDB_ASSERT(buffer_.size() <=
                kBlockContentBytesMax + sizeof(uint32_t) * (restarts_.size() + 1));
  return buffer_;
}

size_t BlockBuilder::size_estimate() const {
  if (finished_) return buffer_.size();
  return buffer_.size() + sizeof(uint32_t) * (restarts_.size() + 1);
}

}  // namespace pairdb::lsm
