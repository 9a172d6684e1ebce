#include "lsm/version_edit.h"

#include <fmt/format.h>

#include "common/coding.h"

namespace pairdb::lsm {

namespace {

// Persisted tags: never renumber.
enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kDeletedFile = 5,
  kNewFile = 6,
};

bool get_level(std::string_view* input, int* level) {
  uint32_t v = 0;
  if (!get_varint32(input, &v) || v >= static_cast<uint32_t>(kNumLevels)) return false;
  *level = static_cast<int>(v);
  return true;
}

bool get_internal_key(std::string_view* input, std::string* key) {
  std::string_view view;
  ParsedInternalKey parsed;
  if (!get_length_prefixed(input, &view) || !parse_internal_key(view, &parsed)) return false;
  key->assign(view);
  return true;
}

// Appends `tag` and the number, when the field is set.
void put_number_field(std::string* out, Tag tag, const std::optional<uint64_t>& number) {
  if (!number) return;
  put_varint32(out, tag);
  put_varint64(out, *number);
}

}  // namespace

void VersionEdit::add_file(int level, FileMetaData file) {
  PAIRDB_ASSERT(level >= 0 && level < kNumLevels);
  new_files_.emplace_back(level, std::move(file));
}

void VersionEdit::remove_file(int level, uint64_t number) {
  PAIRDB_ASSERT(level >= 0 && level < kNumLevels);
  deleted_files_.emplace(level, number);
}

std::string VersionEdit::encode() const {
  std::string out;
  if (comparator_name_) {
    put_varint32(&out, kComparator);
    put_length_prefixed(&out, *comparator_name_);
  }
  put_number_field(&out, kLogNumber, log_number_);
  put_number_field(&out, kNextFileNumber, next_file_number_);
  put_number_field(&out, kLastSequence, last_sequence_);
  for (const auto& [level, number] : deleted_files_) {
    put_varint32(&out, kDeletedFile);
    put_varint32(&out, static_cast<uint32_t>(level));
    put_varint64(&out, number);
  }
  for (const auto& [level, file] : new_files_) {
    put_varint32(&out, kNewFile);
    put_varint32(&out, static_cast<uint32_t>(level));
    put_varint64(&out, file.number);
    put_varint64(&out, file.file_size);
    put_length_prefixed(&out, file.smallest);
    put_length_prefixed(&out, file.largest);
  }
  return out;
}

Result<VersionEdit> VersionEdit::decode(std::string_view input) {
  VersionEdit edit;
  while (!input.empty()) {
    uint32_t tag = 0;
    bool ok = get_varint32(&input, &tag);
    uint64_t number = 0;
    int level = 0;
    std::string_view text;
    FileMetaData file;
    switch (ok ? tag : 0) {
      case kComparator:
        ok = get_length_prefixed(&input, &text);
        if (ok) edit.comparator_name_ = std::string(text);
        break;
      case kLogNumber:
        ok = get_varint64(&input, &number);
        if (ok) edit.log_number_ = number;
        break;
      case kNextFileNumber:
        ok = get_varint64(&input, &number);
        if (ok) edit.next_file_number_ = number;
        break;
      case kLastSequence:
        ok = get_varint64(&input, &number) && number <= kMaxSequenceNumber;
        if (ok) edit.last_sequence_ = number;
        break;
      case kDeletedFile:
        ok = get_level(&input, &level) && get_varint64(&input, &number);
        if (ok) edit.deleted_files_.emplace(level, number);
        break;
      case kNewFile:
        ok = get_level(&input, &level) && get_varint64(&input, &file.number) &&
             get_varint64(&input, &file.file_size) && get_internal_key(&input, &file.smallest) &&
             get_internal_key(&input, &file.largest);
        if (ok) edit.new_files_.emplace_back(level, std::move(file));
        break;
      default:
        ok = false;
    }
    if (!ok) return Status::corruption(fmt::format("malformed version edit (tag {})", tag));
  }
  return edit;
}

std::string VersionEdit::debug_string() const {
  std::string out = "VersionEdit{";
  if (log_number_) out += fmt::format(" log={}", *log_number_);
  if (next_file_number_) out += fmt::format(" next_file={}", *next_file_number_);
  if (last_sequence_) out += fmt::format(" last_seq={}", *last_sequence_);
  for (const auto& [level, number] : deleted_files_) out += fmt::format(" -L{}:{}", level, number);
  for (const auto& [level, file] : new_files_) {
    out += fmt::format(" +L{}:{}({}B)", level, file.number, file.file_size);
  }
  return out + " }";
}

}  // namespace pairdb::lsm
