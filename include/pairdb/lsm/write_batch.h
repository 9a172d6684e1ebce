// An ordered group of puts and deletes applied atomically: after a crash either all of a batch
// is present or none of it. Each mutation gets its own sequence number, in batch order.
//
// Encoding (also the WAL record payload): fixed64 first sequence, fixed32 count, then per
// mutation a type byte (1 = put, 0 = delete), length-prefixed key, and for puts a
// length-prefixed value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <pairdb/status.h>

namespace pairdb::lsm {

class WriteBatch {
 public:
  WriteBatch();

  void put(std::string_view key, std::string_view value);
  void remove(std::string_view key);
  void clear();
  // Appends every mutation of other.
  void append(const WriteBatch& other);

  uint32_t count() const;
  size_t byte_size() const { return rep_.size(); }

  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void on_put(std::string_view key, std::string_view value) = 0;
    virtual void on_delete(std::string_view key) = 0;
  };
  // Calls handler once per mutation in order; Corruption if the encoding is malformed.
  Status iterate(Handler& handler) const;

  // Engine internals: the first sequence number and the raw encoding.
  uint64_t sequence() const;
  void set_sequence(uint64_t seq);
  std::string_view contents() const { return rep_; }
  // Corruption if `contents` is too short to be a batch.
  Status set_contents(std::string_view contents);

 private:
  std::string rep_;
};

}  // namespace pairdb::lsm
