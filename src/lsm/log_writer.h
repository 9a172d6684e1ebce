// Appends records (log_format.h) to a WAL segment or MANIFEST. Single thread at a time; the DB
// serialises callers. After a failed sync the file must not be synced again (the caller
// fences the database); after a failed append the file must not be appended to again.
#pragma once

#include <memory>
#include <string_view>

#include <pairdb/lsm/env.h>

namespace pairdb::lsm {

class LogWriter {
 public:
  explicit LogWriter(std::unique_ptr<WritableFile> file);

  // REQUIRES: payload.size() <= log::kRecordBytesMax
  Status add_record(std::string_view payload);
  Status sync() { return file_->sync(); }
  Status flush() { return file_->flush(); }
  Status close() { return file_->close(); }
  uint64_t size() const { return file_->size(); }

 private:
  std::unique_ptr<WritableFile> file_;
};

}  // namespace pairdb::lsm
