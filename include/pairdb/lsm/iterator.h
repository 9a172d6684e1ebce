// Ordered iteration over key/value pairs. The same interface serves user-facing DB iterators and
// the engine's internal iterators (memtable, block, table, merging).
//
// Not thread-safe: one thread uses an iterator at a time. key() and value() stay valid until the
// iterator is moved or destroyed. An iterator that hits an error becomes !valid() and reports
// it through status(); it never returns a wrong key or value.
#pragma once

#include <string_view>

#include <pairdb/status.h>

namespace pairdb::lsm {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  virtual bool valid() const = 0;
  virtual void seek_to_first() = 0;
  virtual void seek_to_last() = 0;
  // Positions at the first key >= target.
  virtual void seek(std::string_view target) = 0;
  // REQUIRES: valid()
  virtual void next() = 0;
  // REQUIRES: valid()
  virtual void prev() = 0;
  // REQUIRES: valid()
  virtual std::string_view key() const = 0;
  // REQUIRES: valid()
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

}  // namespace pairdb::lsm
