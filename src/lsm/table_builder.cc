#include "lsm/table_builder.h"

#include <exception>

#include "common/assert.h"
#include "lsm/dbformat.h"

namespace pairdb::lsm {
namespace {

// Index keys only need to separate blocks, so with bytewise user keys we store the shortest
// user key u with a <= u < b (or a <= u when b is absent), tagged with the largest trailer so the
// separator sorts before every real entry for u. Falls back to `a` itself.
std::string make_separator(const InternalKeyComparator& comparator, std::string_view a,
                           std::string_view b) {
  if (comparator.user_comparator() != bytewise_comparator()) return std::string(a);
  std::string_view ua = extract_user_key(a);
  std::string user;
  if (b.empty()) {
    // Successor: increment the first byte that is not 0xff and cut after it.
    for (size_t i = 0; i < ua.size(); ++i) {
      if (static_cast<uint8_t>(ua[i]) != 0xff) {
        user.assign(ua.substr(0, i + 1));
        user[i] = static_cast<char>(static_cast<uint8_t>(ua[i]) + 1);
        break;
      }
    }
  } else {
    std::string_view ub = extract_user_key(b);
    size_t shared = 0;
    while (shared < ua.size() && shared < ub.size() && ua[shared] == ub[shared]) ++shared;
    if (shared < ua.size() && shared < ub.size()) {
      uint8_t byte = static_cast<uint8_t>(ua[shared]);
      if (byte < 0xff && byte + 1 < static_cast<uint8_t>(ub[shared])) {
        user.assign(ua.substr(0, shared + 1));
        user[shared] = static_cast<char>(byte + 1);
      }
    }
  }
  if (user.empty() || user.size() >= ua.size()) return std::string(a);
  std::string separator = make_internal_key(user, kMaxSequenceNumber, kValueTypeForSeek);
  PAIRDB_DASSERT(comparator.compare(a, separator) < 0);
  PAIRDB_DASSERT(b.empty() || comparator.compare(separator, b) < 0);
  return separator;
}

}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval, options.comparator),
      index_block_(1, options.comparator) {
  assert_valid_table_options(options);
  PAIRDB_ASSERT(file != nullptr);
  PAIRDB_ASSERT(file->size() == 0);
  if (options.bloom_bits_per_key > 0) filter_.emplace(options.bloom_bits_per_key);
}

TableBuilder::~TableBuilder() {
  // Unwinding from a failed test assertion is not the bug this check is after.
  PAIRDB_ASSERT(state_ != State::kBuilding || std::uncaught_exceptions() > 0);
}

void TableBuilder::add(std::string_view internal_key, std::string_view value) {
  PAIRDB_ASSERT(state_ == State::kBuilding);
  PAIRDB_ASSERT(internal_key.size() >= kInternalKeyTrailerBytes);
  PAIRDB_ASSERT(internal_key.size() + value.size() <= kTableEntryBytesMax);
  PAIRDB_ASSERT(properties_.entry_count == 0 ||
                options_.comparator->compare(internal_key, last_key_) > 0);
  if (!status_.is_ok()) return;

  if (pending_index_entry_) add_pending_index_entry(internal_key);
  if (filter_) filter_->add_key(extract_user_key(internal_key));

  if (properties_.entry_count == 0) properties_.smallest_key.assign(internal_key);
  ++properties_.entry_count;
  if ((extract_trailer(internal_key) & 0xff) == static_cast<uint8_t>(ValueType::kDeletion)) {
    ++properties_.deletion_count;
  }
  properties_.raw_key_bytes += internal_key.size();
  properties_.raw_value_bytes += value.size();

  last_key_.assign(internal_key);
  data_block_.add(internal_key, value);
  if (data_block_.size_estimate() >= options_.block_bytes) flush_data_block();
}

void TableBuilder::flush_data_block() {
  if (data_block_.empty() || !status_.is_ok()) return;
  // add() settles the previous block's index entry before it adds to a new block.
  PAIRDB_ASSERT(!pending_index_entry_);
  std::optional<BlockHandle> handle = emit_block(data_block_.finish());
  data_block_.reset();
  if (!handle) return;
  properties_.data_bytes += handle->size + kBlockTrailerBytes;
  pending_handle_ = *handle;
  pending_index_entry_ = true;
}

void TableBuilder::add_pending_index_entry(std::string_view next_key) {
  PAIRDB_ASSERT(pending_index_entry_);
  PAIRDB_ASSERT(!last_key_.empty());
  std::string separator = make_separator(*options_.comparator, last_key_, next_key);
  index_block_.add(separator, pending_handle_.encode());
  pending_index_entry_ = false;
}

std::optional<BlockHandle> TableBuilder::emit_block(std::string_view contents) {
  PAIRDB_ASSERT(status_.is_ok());
  Result<BlockHandle> handle = write_block(file_, offset_, contents);
  if (!handle.is_ok()) {
    status_ = handle.status();
    return std::nullopt;
  }
  offset_ += contents.size() + kBlockTrailerBytes;
  return *handle;
}

Status TableBuilder::finish() {
  PAIRDB_ASSERT(state_ == State::kBuilding);
  state_ = State::kFinished;
  flush_data_block();
  if (!status_.is_ok()) return status_;
  status_ = write_metadata_and_footer();
  return status_;
}

Status TableBuilder::write_metadata_and_footer() {
  if (pending_index_entry_) add_pending_index_entry({});
  properties_.largest_key = last_key_;

  Footer footer;
  if (filter_) {
    std::optional<BlockHandle> handle = emit_block(filter_->finish());
    if (!handle) return status_;
    footer.filter = *handle;
    properties_.filter_bytes = handle->size + kBlockTrailerBytes;
  }
  // The properties block precedes the index but records its size, so finish the index first.
  std::string_view index_contents = index_block_.finish();
  properties_.index_bytes = index_contents.size() + kBlockTrailerBytes;

  std::optional<BlockHandle> handle = emit_block(encode_table_properties(properties_));
  if (!handle) return status_;
  footer.properties = *handle;
  handle = emit_block(index_contents);
  if (!handle) return status_;
  footer.index = *handle;

  std::string footer_bytes;
  footer.encode_to(&footer_bytes);
  PAIRDB_DASSERT(Footer::decode(footer_bytes).is_ok());
  PAIRDB_TRY(file_->append(footer_bytes));
  offset_ += footer_bytes.size();
  PAIRDB_ASSERT(offset_ == file_->size());
  return Status::ok();
}

void TableBuilder::abandon() {
  PAIRDB_ASSERT(state_ == State::kBuilding);
  state_ = State::kAbandoned;
}

}  // namespace pairdb::lsm
