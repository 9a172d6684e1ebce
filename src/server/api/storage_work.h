// StorageWork: what kind of storage work a request does, for the daemon's choice of where it
// runs (on the io thread that received it, or on the storage workers; see Node and
// storage.point_ops_on).
#pragma once

#include <cstdint>
#include <functional>

namespace pairdb::server {

enum class StorageWork : uint8_t { kRead, kWrite, kQuery };

// True when `work` may run on the caller's thread now: a thread hand-off costs more than a point
// read or write that touches only memory and the WAL's buffer.
using RunInline = std::function<bool(StorageWork)>;

}  // namespace pairdb::server
