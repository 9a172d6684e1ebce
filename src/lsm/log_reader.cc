#include "lsm/log_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/coding.h"
#include "common/hash.h"
#include "lsm/log_format.h"

namespace pairdb::lsm {

namespace {
constexpr size_t kReadChunkBytes = 256 * 1024;
}  // namespace

LogReader::LogReader(std::unique_ptr<SequentialFile> file, std::string file_name,
                     bool skip_corruption)
    : file_(std::move(file)), file_name_(std::move(file_name)), skip_corruption_(skip_corruption) {}

Status LogReader::fill(size_t n) {
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {  // Drop consumed bytes before growing.
    buffer_.erase(0, pos_);
    buffer_offset_ += pos_;
    pos_ = 0;
  }
  while (!eof_ && buffer_.size() - pos_ < n) {
    scratch_.resize(kReadChunkBytes);  // Allocated once per reader, on the first read.
    PAIRDB_ASSIGN_OR_RETURN(std::string_view chunk, file_->read(kReadChunkBytes, scratch_.data()));
    if (chunk.empty()) eof_ = true;
    buffer_.append(chunk);
  }
  return Status::ok();
}

Status LogReader::fill_to_end() { return fill(SIZE_MAX); }

Result<bool> LogReader::rest_is_zero() {
  PAIRDB_TRY(fill_to_end());
  return std::all_of(buffer_.begin() + pos_, buffer_.end(), [](char c) { return c == 0; });
}

// Classifies the record starting at pos_ without consuming it.
Result<LogReader::Check> LogReader::check_record_at_pos(uint32_t* length, std::string* reason) {
  PAIRDB_TRY(fill(log::kHeaderBytes));
  size_t available = buffer_.size() - pos_;
  if (available == 0) return Check::kEndOfFile;
  if (available < log::kHeaderBytes) return Check::kTornTail;
  const char* header = buffer_.data() + pos_;
  if (decode_fixed32(header) != checksum32(std::string_view(header + 4, 8))) {
    PAIRDB_ASSIGN_OR_RETURN(bool zeros, rest_is_zero());
    if (zeros) return Check::kTornTail;
    *reason = "record header checksum mismatch";
    return Check::kCorrupt;
  }
  *length = decode_fixed32(header + 4);
  if (*length > log::kRecordBytesMax) {
    *reason = fmt::format("record length {} exceeds the maximum", *length);
    return Check::kCorrupt;
  }
  PAIRDB_TRY(fill(log::kHeaderBytes + *length));
  header = buffer_.data() + pos_;
  if (buffer_.size() - pos_ < log::kHeaderBytes + *length) return Check::kTornTail;
  std::string_view payload(header + log::kHeaderBytes, *length);
  if (decode_fixed32(header + 8) != checksum32(payload)) {
    PAIRDB_TRY(fill(log::kHeaderBytes + *length + 1));
    if (eof_ && buffer_.size() - pos_ == log::kHeaderBytes + *length) return Check::kTornTail;
    *reason = "record payload checksum mismatch";
    return Check::kCorrupt;
  }
  return Check::kRecord;
}

Result<std::optional<std::string_view>> LogReader::read_record() {
  while (true) {
    uint32_t length = 0;
    std::string reason;
    PAIRDB_ASSIGN_OR_RETURN(Check check, check_record_at_pos(&length, &reason));
    switch (check) {
      case Check::kRecord: {
        std::string_view payload(buffer_.data() + pos_ + log::kHeaderBytes, length);
        pos_ += log::kHeaderBytes + length;
        ++stats_.records;
        resyncing_ = false;
        return std::optional<std::string_view>(payload);
      }
      case Check::kEndOfFile:
        return std::optional<std::string_view>();
      case Check::kTornTail: {
        PAIRDB_TRY(fill_to_end());
        stats_.torn_tail_offset = offset();
        stats_.torn_tail_bytes = buffer_.size() - pos_;
        pos_ = buffer_.size();
        return std::optional<std::string_view>();
      }
      case Check::kCorrupt:
        if (!skip_corruption_) {
          return Status::corruption(
              fmt::format("{} in {} at offset {}", reason, file_name_, offset()));
        }
        // Salvage: resynchronise by trying the next byte as a record start.
        if (!resyncing_) ++stats_.skipped_records;
        resyncing_ = true;
        ++stats_.skipped_bytes;
        ++pos_;
        break;
    }
  }
}

}  // namespace pairdb::lsm
