#include "lsm/table_reader.h"

#include <utility>

#include <fmt/format.h>

#include "common/assert.h"
#include "lsm/dbformat.h"
#include "lsm/lru_cache.h"
#include "lsm/two_level_iterator.h"

namespace pairdb::lsm {

int TableReader::SafeInternalKeyComparator::compare(std::string_view a, std::string_view b) const {
  if (a.size() < kInternalKeyTrailerBytes || b.size() < kInternalKeyTrailerBytes) {
    return a.compare(b);
  }
  return inner_->compare(a, b);
}

TableReader::TableReader(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                         uint64_t file_size, std::string file_name, uint64_t cache_id)
    : options_(options),
      comparator_(options.comparator),
      file_(std::move(file)),
      file_size_(file_size),
      file_name_(std::move(file_name)),
      shared_file_name_(std::make_shared<const std::string>(file_name_)),
      cache_id_(cache_id) {}

Result<std::shared_ptr<TableReader>> TableReader::open(const TableOptions& options,
                                                       std::unique_ptr<RandomAccessFile> file,
                                                       uint64_t file_size, std::string file_name,
                                                       uint64_t cache_id) {
  assert_valid_table_options(options);
  PAIRDB_ASSERT(file != nullptr);
  if (file_size < Footer::kEncodedBytes) {
    return Status::corruption(
        fmt::format("{} is too short to be a table ({} bytes)", file_name, file_size));
  }
  std::shared_ptr<TableReader> reader(
      new TableReader(options, std::move(file), file_size, std::move(file_name), cache_id));

  std::string scratch(Footer::kEncodedBytes, '\0');
  const uint64_t footer_offset = file_size - Footer::kEncodedBytes;
  PAIRDB_ASSIGN_OR_RETURN(std::string_view footer_bytes,
                          reader->file_->read(footer_offset, scratch.size(), scratch.data()));
  Result<Footer> footer = Footer::decode(footer_bytes);
  if (!footer.is_ok()) {
    return footer.status().with_context(
        fmt::format("{} footer at offset {}", reader->file_name_, footer_offset));
  }
  PAIRDB_TRY(reader->load_metadata(*footer));
  return reader;
}

Status TableReader::load_metadata(const Footer& footer) {
  // A file that answers a read with its own memory is mapped: data blocks are then read in
  // place (see read_data_block).
  char probe = 0;
  auto first_byte = file_->read(0, 1, &probe);
  mapped_ = first_byte.is_ok() && !first_byte->empty() && first_byte->data() != &probe;
  PAIRDB_ASSIGN_OR_RETURN(std::string index_contents, read_checked_block(footer.index, "index"));
  auto index = std::make_shared<const Block>(
      std::move(index_contents),
      fmt::format("{} index block at offset {}", file_name_, footer.index.offset));
  PAIRDB_TRY(index->status());
  index_block_ = std::move(index);

  if (footer.filter.size != 0) {
    PAIRDB_ASSIGN_OR_RETURN(filter_data_, read_checked_block(footer.filter, "filter"));
    filter_.emplace(filter_data_);
    if (!filter_->well_formed()) {
      return Status::corruption(fmt::format("malformed filter block in {} at offset {}", file_name_,
                                            footer.filter.offset));
    }
  }

  PAIRDB_ASSIGN_OR_RETURN(std::string properties_contents,
                          read_checked_block(footer.properties, "properties"));
  PAIRDB_ASSIGN_OR_RETURN(
      properties_, decode_table_properties(std::move(properties_contents),
                                           fmt::format("{} properties block at offset {}",
                                                       file_name_, footer.properties.offset)));
  // The properties repeat the metadata sizes; disagreement means the footer or properties lie.
  bool sizes_agree = properties_.index_bytes == footer.index.size + kBlockTrailerBytes &&
                     properties_.filter_bytes ==
                         (footer.filter.size == 0 ? 0 : footer.filter.size + kBlockTrailerBytes);
  if (!sizes_agree) {
    return Status::corruption(
        fmt::format("{}: table properties disagree with the footer", file_name_));
  }
  return Status::ok();
}

Status TableReader::check_handle(const BlockHandle& handle, std::string_view what) const {
  const uint64_t blocks_end = file_size_ - Footer::kEncodedBytes;
  bool inside = handle.offset <= blocks_end && handle.size <= kBlockBytesMax &&
                handle.size + kBlockTrailerBytes <= blocks_end - handle.offset;
  if (!inside) {
    return Status::corruption(
        fmt::format("{} block handle (offset {}, size {}) lies outside {} ({} bytes)", what,
                    handle.offset, handle.size, file_name_, file_size_));
  }
  return Status::ok();
}

Result<std::string> TableReader::read_checked_block(const BlockHandle& handle,
                                                    std::string_view what) const {
  PAIRDB_TRY(check_handle(handle, what));
  return read_block(*file_, handle, file_name_);
}

Result<std::shared_ptr<const Block>> TableReader::read_data_block(
    std::string_view index_value) const {
  Result<BlockHandle> handle = BlockHandle::decode_from(&index_value);
  if (!handle.is_ok()) {
    return handle.status().with_context(fmt::format("index of {}", file_name_));
  }
  LruCache<Block>* cache = cache_id_ != 0 ? options_.block_cache : nullptr;
  const CacheKey key{cache_id_, handle->offset};
  if (cache != nullptr && !mapped_) {
    if (std::shared_ptr<const Block> cached = cache->lookup(key)) return cached;
  }
  std::unique_ptr<char[]> scratch;
  PAIRDB_ASSIGN_OR_RETURN(std::string_view contents,
                          read_block_view(*file_, *handle, file_name_, &scratch));
  if (options_.counters != nullptr) {
    options_.counters->block_reads.fetch_add(1, std::memory_order_relaxed);
    options_.counters->block_read_bytes.fetch_add(contents.size(), std::memory_order_relaxed);
  }
  if (mapped_) {
    // Read in place from the mapping, which the page cache already caches: no copy, and no
    // block-cache entry to duplicate it.
    auto block = std::make_shared<const Block>(contents, shared_from_this(), shared_file_name_,
                                               handle->offset);
    PAIRDB_TRY(block->status());
    return block;
  }
  auto block =
      std::make_shared<const Block>(std::string(contents), shared_file_name_, handle->offset);
  PAIRDB_TRY(block->status());
  if (cache != nullptr) cache->insert(key, block, block->size());
  return block;
}

void TableReader::count_filter_check(bool useful) const {
  filter_checked_.fetch_add(1, std::memory_order_relaxed);
  if (useful) filter_useful_.fetch_add(1, std::memory_order_relaxed);
  if (options_.counters != nullptr) {
    options_.counters->filter_checked.fetch_add(1, std::memory_order_relaxed);
    if (useful) options_.counters->filter_useful.fetch_add(1, std::memory_order_relaxed);
  }
}

bool TableReader::may_contain(std::string_view user_key) const {
  if (!filter_) return true;
  const bool absent = !filter_->may_contain(user_key);
  count_filter_check(absent);
  return !absent;
}

Result<std::optional<TableReader::Entry>> TableReader::get(std::string_view lookup_key) const {
  PAIRDB_ASSERT(lookup_key.size() >= kInternalKeyTrailerBytes);
  const std::string_view user_key = extract_user_key(lookup_key);
  if (filter_) {
    const bool absent = !filter_->may_contain(user_key);
    count_filter_check(absent);
    if (absent) return std::optional<Entry>();
  }
  // The index separator of a block is >= its last key and < the next block's first key, and a
  // shortened separator's user key differs from both neighbours. So if the first entry >=
  // lookup_key is not in the block the index picks, it has a different user key: not found.
  std::unique_ptr<Iterator> index_iter = index_block_->new_iterator(&comparator_);
  index_iter->seek(lookup_key);
  if (!index_iter->valid()) {
    PAIRDB_TRY(index_iter->status());
    return std::optional<Entry>();
  }
  PAIRDB_ASSIGN_OR_RETURN(std::shared_ptr<const Block> block, read_data_block(index_iter->value()));
  std::unique_ptr<Iterator> data_iter = block->new_iterator(&comparator_);
  data_iter->seek(lookup_key);
  if (!data_iter->valid()) {
    PAIRDB_TRY(data_iter->status());
    return std::optional<Entry>();
  }
  ParsedInternalKey parsed;
  if (!parse_internal_key(data_iter->key(), &parsed)) {
    return Status::corruption(fmt::format("malformed internal key in {}", block->origin()));
  }
  if (options_.comparator->user_comparator()->compare(parsed.user_key, user_key) != 0) {
    return std::optional<Entry>();
  }
  return std::optional<Entry>(
      Entry{std::string(data_iter->key()), std::string(data_iter->value())});
}

std::unique_ptr<Iterator> TableReader::new_iterator() const {
  std::shared_ptr<const TableReader> self = shared_from_this();
  BlockOpener opener = [self](std::string_view index_value) -> std::unique_ptr<Iterator> {
    Result<std::shared_ptr<const Block>> block = self->read_data_block(index_value);
    if (!block.is_ok()) return new_empty_iterator(block.status());
    return Block::new_iterator(std::move(block).value(), &self->comparator_);
  };
  return new_two_level_iterator(Block::new_iterator(index_block_, &comparator_), std::move(opener));
}

}  // namespace pairdb::lsm
