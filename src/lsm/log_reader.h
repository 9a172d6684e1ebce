// Reads the records of one log file (log_format.h) in order, telling a torn tail (a crash in
// the middle of an unsynced append: reported as the end of the file and counted) from
// corruption (damage with intact records after it: an error, or in salvage mode skipped and
// counted). Single thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/lsm/env.h>

namespace pairdb::lsm {

struct LogReaderStats {
  uint64_t records = 0;
  uint64_t torn_tail_bytes = 0;   // Bytes dropped at the end of the file.
  uint64_t torn_tail_offset = 0;  // Where the torn tail starts (valid if torn_tail_bytes > 0).
  uint64_t skipped_records = 0;   // Damaged records skipped in salvage mode.
  uint64_t skipped_bytes = 0;
};

class LogReader {
 public:
  // skip_corruption: salvage mode; damaged records are skipped instead of failing the read.
  LogReader(std::unique_ptr<SequentialFile> file, std::string file_name, bool skip_corruption);

  // The next record's payload (valid until the next call), or nullopt at the end of the file.
  // Corruption names the file and offset.
  Result<std::optional<std::string_view>> read_record();

  const LogReaderStats& stats() const { return stats_; }

 private:
  enum class Check { kRecord, kEndOfFile, kTornTail, kCorrupt };

  // Makes at least n bytes available from pos_ unless the file ends first.
  Status fill(size_t n);
  // Reads the rest of the file into the buffer.
  Status fill_to_end();
  Result<Check> check_record_at_pos(uint32_t* length, std::string* reason);
  Result<bool> rest_is_zero();
  uint64_t offset() const { return buffer_offset_ + pos_; }

  std::unique_ptr<SequentialFile> file_;
  const std::string file_name_;
  const bool skip_corruption_;
  std::string buffer_;   // Bytes of the file starting at buffer_offset_.
  std::string scratch_;  // Read buffer for file_->read(), allocated on the first read.
  uint64_t buffer_offset_ = 0;
  size_t pos_ = 0;          // Read position inside buffer_.
  bool eof_ = false;        // The file has no bytes beyond buffer_.
  bool resyncing_ = false;  // Salvage mode is skipping a damaged stretch.
  LogReaderStats stats_;
};

}  // namespace pairdb::lsm
