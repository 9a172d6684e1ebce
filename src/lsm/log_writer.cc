#include "lsm/log_writer.h"

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"
#include "lsm/log_format.h"

namespace pairdb::lsm {

LogWriter::LogWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {
  PAIRDB_ASSERT(file_ != nullptr);
}

Status LogWriter::add_record(std::string_view payload) {
  PAIRDB_ASSERT(payload.size() <= log::kRecordBytesMax);
  char header[log::kHeaderBytes];
  encode_fixed32(header + 4, static_cast<uint32_t>(payload.size()));
  encode_fixed32(header + 8, checksum32(payload));
  encode_fixed32(header, checksum32(std::string_view(header + 4, 8)));
  // One append for header and payload keeps the record contiguous in the file buffer.
  std::string record;
  record.reserve(log::kHeaderBytes + payload.size());
  record.append(header, log::kHeaderBytes);
  record.append(payload);
  PAIRDB_TRY(file_->append(record));
  return file_->flush();
}

}  // namespace pairdb::lsm
