// The hinted-handoff side of the binary protocol: encodes what the node's HintedHandoff and
// HintStore report (HandoffStatus) and decodes an operator's HandoffControl request.
// Stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "net/schema/client_generated.h"
#include "replication/hint_store.h"
#include "replication/table_meta.h"
#include "server/cluster/hinted_handoff.h"

namespace pairdb::server {

// The most repair ranges one HandoffStatus response lists (a table's worth of buckets);
// repair_ranges_total says how many there are. One range takes at most
// kRepairRangeWireBytesMax on the wire (a 64-byte table name included), so a full list fits in
// the 64 KiB that every frame limit holds beyond a maximal item (network.max_frame_bytes's check
// in server/config/config.cc).
inline constexpr size_t kHandoffRepairRangesMax = 256;
inline constexpr size_t kRepairRangeWireBytesMax = 192;
static_assert(replication::kTableNameBytesMax + 64 + 64 <= kRepairRangeWireBytesMax);
static_assert(kHandoffRepairRangesMax * kRepairRangeWireBytesMax <= 64 * 1024);

// The name of a live table, or "" when the catalog does not know `id` (any more).
using TableNameOf = std::function<std::string(replication::TableId id)>;

// Builds and finishes a HandoffStatusResponse. `table_name` may be null (names are left out).
void build_handoff_status(flatbuffers::FlatBufferBuilder& builder, const HandoffStatus& status,
                          const std::vector<replication::RepairMark>& marks,
                          const TableNameOf& table_name);

enum class HandoffAction : uint8_t { kPause, kResume, kTruncate };

// What a HandoffControl request asks for.
struct HandoffCommand {
  HandoffAction action = HandoffAction::kPause;
  std::optional<ring::NodeId> target;  // nullopt = every target.
};

// Status::invalid_argument for an unspecified or unknown action, or a node id that is not a
// UUID.
Result<HandoffCommand> handoff_command_of(const wire::HandoffControlRequest& request);

}  // namespace pairdb::server
