// What the LevelDB and RocksDB adapters share. RocksDB began as a fork of LevelDB and kept its
// C++ API (Status, Slice, Iterator, and DB's Put, Get, Write, NewIterator and GetProperty), so
// one template over an engine's types implements all of Engine but open, flush and close.
//
// `Api` names one engine's types:
//   struct Api {
//     static constexpr std::string_view kName = "leveldb";  // Also the stats property prefix.
//     using DB = ...; using Iterator = ...; using Slice = ...; using NativeStatus = ...;
//     using ReadOptions = ...; using WriteOptions = ...; using WriteBatch = ...;
//     static NativeStatus batch_put(WriteBatch& batch, const Slice& key, const Slice& value);
//   };
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <pairdb/status.h>

#include "engine.h"

namespace pairdb::bench {

template <class Api>
Status native_to_status(const typename Api::NativeStatus& s) {
  if (s.ok()) return Status::ok();
  if (s.IsNotFound()) return Status::not_found(s.ToString());
  return Status::io_error(std::string(Api::kName) + ": " + s.ToString());
}

template <class Api>
typename Api::Slice to_native_slice(std::string_view s) {
  return typename Api::Slice(s.data(), s.size());
}

template <class Api>
std::string_view native_slice_view(const typename Api::Slice& s) {
  return {s.data(), s.size()};
}

template <class Api>
class LeveldbFamilyIterator final : public EngineIterator {
 public:
  explicit LeveldbFamilyIterator(typename Api::Iterator* it) : it_(it) {}
  void seek_to_first() override { it_->SeekToFirst(); }
  void seek(std::string_view target) override { it_->Seek(to_native_slice<Api>(target)); }
  bool valid() const override { return it_->Valid(); }
  void next() override { it_->Next(); }
  std::string_view key() const override { return native_slice_view<Api>(it_->key()); }
  std::string_view value() const override { return native_slice_view<Api>(it_->value()); }
  Status status() const override { return native_to_status<Api>(it_->status()); }

 private:
  std::unique_ptr<typename Api::Iterator> it_;
};

// The shared part of the adapters. A subclass opens the DB (then hands it to adopt()) and
// implements flush() and close(). put, get and new_iterator may run on several threads;
// write_batch on the single writer thread only (it reuses one batch, as pairdb's adapter does).
template <class Api>
class LeveldbFamilyEngine : public Engine {
 public:
  std::string_view name() const override { return Api::kName; }

  Status put(std::string_view key, std::string_view value, bool sync) override {
    typename Api::WriteOptions options;
    options.sync = sync;
    return native_to_status<Api>(
        db_->Put(options, to_native_slice<Api>(key), to_native_slice<Api>(value)));
  }

  Status write_batch(std::span<const KeyValue> entries, bool sync) override {
    batch_.Clear();
    for (const KeyValue& entry : entries) {
      const typename Api::NativeStatus s = Api::batch_put(batch_, to_native_slice<Api>(entry.key),
                                                          to_native_slice<Api>(entry.value));
      if (!s.ok()) return native_to_status<Api>(s);
    }
    typename Api::WriteOptions options;
    options.sync = sync;
    return native_to_status<Api>(db_->Write(options, &batch_));
  }

  Status get(std::string_view key, std::string* value) override {
    return native_to_status<Api>(
        db_->Get(typename Api::ReadOptions(), to_native_slice<Api>(key), value));
  }

  std::unique_ptr<EngineIterator> new_iterator() override {
    return std::make_unique<LeveldbFamilyIterator<Api>>(
        db_->NewIterator(typename Api::ReadOptions()));
  }

  std::string native_stats() override {
    const std::string property = std::string(Api::kName) + ".stats";
    std::string stats;
    if (!db_->GetProperty(property, &stats)) return "(no " + property + ")";
    return stats;
  }

 protected:
  // Takes ownership of what the engine's DB::Open returned: `db` when `opened` is OK.
  Status adopt(const typename Api::NativeStatus& opened, typename Api::DB* db) {
    if (!opened.ok()) return native_to_status<Api>(opened);
    db_.reset(db);
    return Status::ok();
  }

  std::unique_ptr<typename Api::DB> db_;

 private:
  typename Api::WriteBatch batch_;
};

}  // namespace pairdb::bench
