// Test-only in-memory files backed by a std::string, so table tests need no real Env.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include <pairdb/lsm/env.h>

namespace pairdb::lsm::testing {

// Appends to an owned string. Optionally fails every append once `fail_after_bytes` would be
// exceeded, to test write-error handling. Single thread.
class StringWritableFile final : public WritableFile {
 public:
  explicit StringWritableFile(uint64_t fail_after_bytes = std::numeric_limits<uint64_t>::max())
      : fail_after_bytes_(fail_after_bytes) {}

  Status append(std::string_view data) override {
    if (closed_) return Status::io_error("append to a closed string file");
    if (contents_.size() + data.size() > fail_after_bytes_) {
      return Status::io_error("injected append failure in string file");
    }
    contents_.append(data);
    return Status::ok();
  }
  Status flush() override { return Status::ok(); }
  Status sync() override { return Status::ok(); }
  Status close() override {
    closed_ = true;
    return Status::ok();
  }
  uint64_t size() const override { return contents_.size(); }

  const std::string& contents() const { return contents_; }

 private:
  const uint64_t fail_after_bytes_;
  std::string contents_;
  bool closed_ = false;
};

// Serves reads from an owned string. With return_own_memory the result points into the string
// instead of the caller's scratch, as an mmap-backed file would. Thread-safe (immutable).
class StringRandomAccessFile final : public RandomAccessFile {
 public:
  explicit StringRandomAccessFile(std::string contents, bool return_own_memory = false)
      : contents_(std::move(contents)), return_own_memory_(return_own_memory) {}

  Result<std::string_view> read(uint64_t offset, size_t n, char* scratch) const override {
    if (offset > contents_.size()) {
      return Status::io_error("read past the end of a string file");
    }
    size_t available = std::min<uint64_t>(n, contents_.size() - offset);
    if (return_own_memory_) return std::string_view(contents_.data() + offset, available);
    std::memcpy(scratch, contents_.data() + offset, available);
    return std::string_view(scratch, available);
  }

  uint64_t size() const { return contents_.size(); }

 private:
  const std::string contents_;
  const bool return_own_memory_;
};

}  // namespace pairdb::lsm::testing
