#include "server/wire/wire_handoff.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"
#include "replication/hint_delivery.h"

namespace pairdb::server {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

Offset<flatbuffers::Vector<Offset<wire::HandoffTarget>>> targets_to_wire(
    FlatBufferBuilder& builder, const std::vector<HandoffTargetStatus>& targets) {
  std::vector<Offset<wire::HandoffTarget>> out;
  out.reserve(targets.size());
  for (const HandoffTargetStatus& t : targets) {
    auto node_id = builder.CreateString(t.target.to_string());
    auto state = builder.CreateString(replication::target_delivery_state_name(t.state));
    auto liveness = builder.CreateString(t.liveness);
    out.push_back(wire::CreateHandoffTarget(builder, node_id, t.hints, t.bytes,
                                            t.oldest_created_wall_ms, state, liveness));
  }
  return builder.CreateVector(out);
}

// One entry per reason, in the enum's order, zeros included: readers see every reason.
Offset<flatbuffers::Vector<Offset<wire::HintDropCount>>> dropped_to_wire(
    FlatBufferBuilder& builder, const HandoffStatus& status) {
  std::vector<Offset<wire::HintDropCount>> out;
  out.reserve(replication::kHintDropReasons);
  for (size_t r = 0; r < replication::kHintDropReasons; ++r) {
    const auto reason = static_cast<replication::HintDropReason>(r);
    out.push_back(wire::CreateHintDropCount(
        builder, builder.CreateString(replication::hint_drop_reason_name(reason)),
        status.dropped[r]));
  }
  return builder.CreateVector(out);
}

Offset<flatbuffers::Vector<Offset<wire::RepairRange>>> ranges_to_wire(
    FlatBufferBuilder& builder, const std::vector<replication::RepairMark>& marks,
    const TableNameOf& table_name) {
  const size_t count = std::min(marks.size(), kHandoffRepairRangesMax);
  std::vector<Offset<wire::RepairRange>> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const replication::RepairMark& mark = marks[i];
    PAIRDB_DASSERT(mark.range_start <= mark.range_end);
    const std::string name = table_name ? table_name(mark.table) : std::string();
    auto table = name.empty() ? Offset<flatbuffers::String>() : builder.CreateString(name);
    auto reason = builder.CreateString(replication::hint_drop_reason_name(mark.reason));
    out.push_back(wire::CreateRepairRange(builder, mark.table, table, mark.range_start,
                                          mark.range_end, reason, mark.marked_wall_ms,
                                          mark.hints_dropped));
  }
  return builder.CreateVector(out);
}

}  // namespace

void build_handoff_status(FlatBufferBuilder& builder, const HandoffStatus& status,
                          const std::vector<replication::RepairMark>& marks,
                          const TableNameOf& table_name) {
  auto targets = targets_to_wire(builder, status.targets);
  auto dropped = dropped_to_wire(builder, status);
  auto ranges = ranges_to_wire(builder, marks, table_name);
  wire::HandoffStatusResponseBuilder response(builder);
  response.add_targets(targets);
  response.add_paused_all(status.paused_all);
  response.add_stored(status.stored);
  response.add_delivered(status.delivered);
  response.add_delivered_bytes(status.delivered_bytes);
  response.add_failed_attempts(status.failed_attempts);
  response.add_total_bytes(status.total_bytes);
  response.add_dropped(dropped);
  response.add_repair_ranges(ranges);
  response.add_repair_ranges_total(marks.size());
  builder.Finish(response.Finish());
}

Result<HandoffCommand> handoff_command_of(const wire::HandoffControlRequest& request) {
  HandoffCommand command;
  switch (request.action()) {
    case wire::HandoffAction::Pause:
      command.action = HandoffAction::kPause;
      break;
    case wire::HandoffAction::Resume:
      command.action = HandoffAction::kResume;
      break;
    case wire::HandoffAction::Truncate:
      command.action = HandoffAction::kTruncate;
      break;
    default:
      return Status::invalid_argument(
          fmt::format("HandoffControl needs an action (pause, resume or truncate), got {}",
                      static_cast<int>(request.action())));
  }
  if (request.node_id() != nullptr && request.node_id()->size() > 0) {
    PAIRDB_ASSIGN_OR_RETURN(command.target, ring::NodeId::parse(request.node_id()->str()));
  }
  return command;
}

}  // namespace pairdb::server
