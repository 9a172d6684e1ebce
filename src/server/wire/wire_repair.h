// The anti-entropy side of the binary protocol: decodes an operator's RepairRun request and
// encodes what the node's RepairService reports (RepairStatus).
// Stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include <flatbuffers/flatbuffers.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "net/schema/client_generated.h"
#include "replication/table_meta.h"
#include "server/cluster/repair_service.h"

namespace pairdb::server {

// A RepairStatus response fits whole in the 64 KiB that every frame limit holds beyond a
// maximal item (network.max_frame_bytes's check in server/config/config.cc), whatever the node
// reports: each list is cut to a count, and each entry to a size, that are bounded here.
inline constexpr size_t kRepairStatusBytesMax = 64 * 1024;

// One table name on the wire: length, at most kTableNameBytesMax bytes, NUL, alignment. Names
// are shared strings, so a name repeated across entries is stored once.
inline constexpr size_t kRepairTableNameWireBytesMax = 80;
static_assert(4 + replication::kTableNameBytesMax + 1 + 8 <= kRepairTableNameWireBytesMax);

// Sessions: repair.max_sessions is at most 16 (server/config/config_keys.cc). One session with
// kReplicationFactorMax - 1 peers (a UUID string each, 44 bytes with its offset) and its table
// name takes at most kRepairSessionWireBytesMax.
inline constexpr size_t kRepairStatusSessionsMax = 16;
inline constexpr size_t kRepairSessionWireBytesMax = 1024;
static_assert(kRepairTableNameWireBytesMax + 8 + (ring::kReplicationFactorMax - 1) * 48 + 128 <=
              kRepairSessionWireBytesMax);

// Jobs: the service keeps the last 8. A job's error is cut to kRepairJobErrorBytesMax.
inline constexpr size_t kRepairStatusJobsMax = 8;
inline constexpr size_t kRepairJobErrorBytesMax = 256;
inline constexpr size_t kRepairJobWireBytesMax = 512;
static_assert(kRepairTableNameWireBytesMax + 16 + (4 + kRepairJobErrorBytesMax + 8) + 128 <=
              kRepairJobWireBytesMax);

// The response's own fields, vector lengths and vtables.
inline constexpr size_t kRepairStatusFixedWireBytesMax = 256;

// Ranges get what is left. One range takes at most kRepairRangeStateWireBytesMax besides its
// table's name; a range whose name is not listed yet also pays for the name. Ranges are listed
// in table and token order while both the count and the bytes allow; ranges_total says how
// many there are. A whole table's ranges on a node of a three-replica table with the default
// 256 tokens per node (3 x 256) always fit.
inline constexpr size_t kRepairStatusRangesMax = 768;
inline constexpr size_t kRepairRangeStateWireBytesMax = 56;
inline constexpr size_t kRepairStatusRangesBytesMax =
    kRepairStatusBytesMax - kRepairStatusSessionsMax * kRepairSessionWireBytesMax -
    kRepairStatusJobsMax * kRepairJobWireBytesMax - kRepairStatusFixedWireBytesMax;
static_assert(kRepairStatusRangesMax * kRepairRangeStateWireBytesMax +
                  kRepairTableNameWireBytesMax <=
              kRepairStatusRangesBytesMax);

// Builds and finishes a RepairStatusResponse (with every field written, so that each table type
// has one vtable). Ranges are sorted by table name, then token.
void build_repair_status(flatbuffers::FlatBufferBuilder& builder, const RepairStatus& status);

// What a RepairRun request asks for. Status::invalid_argument for a table name longer than
// kTableNameBytesMax, or a range whose start equals its end (a range is (start, end], so that
// would be the whole ring: such a request leaves the range out).
Result<RepairRunRequest> repair_run_request_of(const wire::RepairRunRequest& request);

}  // namespace pairdb::server
