#include <pairdb/lsm/write_batch.h>

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"
#include "lsm/dbformat.h"

namespace pairdb::lsm {

namespace {
constexpr size_t kBatchHeaderBytes = 12;  // fixed64 sequence + fixed32 count.
}  // namespace

WriteBatch::WriteBatch() { clear(); }

void WriteBatch::clear() {
  rep_.clear();
  rep_.resize(kBatchHeaderBytes);
}

uint32_t WriteBatch::count() const { return decode_fixed32(rep_.data() + 8); }

uint64_t WriteBatch::sequence() const { return decode_fixed64(rep_.data()); }

void WriteBatch::set_sequence(uint64_t seq) { encode_fixed64(rep_.data(), seq); }

void WriteBatch::put(std::string_view key, std::string_view value) {
  encode_fixed32(rep_.data() + 8, count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kValue));
  put_length_prefixed(&rep_, key);
  put_length_prefixed(&rep_, value);
}

void WriteBatch::remove(std::string_view key) {
  encode_fixed32(rep_.data() + 8, count() + 1);
  rep_.push_back(static_cast<char>(ValueType::kDeletion));
  put_length_prefixed(&rep_, key);
}

void WriteBatch::append(const WriteBatch& other) {
  encode_fixed32(rep_.data() + 8, count() + other.count());
  rep_.append(other.rep_, kBatchHeaderBytes);
}

Status WriteBatch::set_contents(std::string_view contents) {
  if (contents.size() < kBatchHeaderBytes) {
    return Status::corruption(fmt::format("write batch of {} bytes is too short", contents.size()));
  }
  rep_.assign(contents);
  return Status::ok();
}

Status WriteBatch::iterate(Handler& handler) const {
  std::string_view input(rep_);
  PAIRDB_ASSERT(input.size() >= kBatchHeaderBytes);
  input.remove_prefix(kBatchHeaderBytes);
  uint32_t found = 0;
  while (!input.empty()) {
    auto type = static_cast<ValueType>(input[0]);
    input.remove_prefix(1);
    std::string_view key, value;
    if (type == ValueType::kValue) {
      if (!get_length_prefixed(&input, &key) || !get_length_prefixed(&input, &value)) {
        return Status::corruption("write batch: malformed put");
      }
      handler.on_put(key, value);
    } else if (type == ValueType::kDeletion) {
      if (!get_length_prefixed(&input, &key)) {
        return Status::corruption("write batch: malformed delete");
      }
      handler.on_delete(key);
    } else {
      return Status::corruption(
          fmt::format("write batch: unknown mutation type {}", static_cast<int>(type)));
    }
    ++found;
  }
  if (found != count()) {
    return Status::corruption(
        fmt::format("write batch: header says {} mutations, found {}", count(), found));
  }
  return Status::ok();
}

}  // namespace pairdb::lsm
