#include "server/wire/wire_repair.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/assert.h"

namespace pairdb::server {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

namespace {

template <class T>
using OffsetVector = Offset<flatbuffers::Vector<Offset<T>>>;

// At most `max` bytes of `text`, cut at a character boundary.
std::string_view cut_utf8(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end);
}

double fraction(double progress) { return std::clamp(progress, 0.0, 1.0); }

OffsetVector<wire::RepairSession> sessions_to_wire(FlatBufferBuilder& builder,
                                                   const std::vector<RepairSessionView>& sessions) {
  const size_t count = std::min(sessions.size(), kRepairStatusSessionsMax);
  std::vector<Offset<wire::RepairSession>> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const RepairSessionView& s = sessions[i];
    PAIRDB_DASSERT(s.peers.size() < ring::kReplicationFactorMax);
    std::vector<Offset<flatbuffers::String>> peers;
    peers.reserve(s.peers.size());
    for (const ring::NodeId& peer : s.peers)
      peers.push_back(builder.CreateString(peer.to_string()));
    auto table = builder.CreateSharedString(s.table);
    auto peer_vector = builder.CreateVector(peers);
    out.push_back(wire::CreateRepairSession(
        builder, table, s.range.start, s.range.end, peer_vector, fraction(s.progress), s.background,
        s.stats.records_differing, s.stats.records_fetched, s.stats.records_pushed,
        s.stats.bytes_sent, s.stats.bytes_received));
  }
  return builder.CreateVector(out);
}

OffsetVector<wire::RepairJob> jobs_to_wire(FlatBufferBuilder& builder,
                                           const std::vector<RepairJobView>& jobs) {
  const size_t count = std::min(jobs.size(), kRepairStatusJobsMax);
  std::vector<Offset<wire::RepairJob>> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const RepairJobView& j = jobs[i];
    auto state = builder.CreateSharedString(repair_job_state_name(j.state));
    auto table = builder.CreateSharedString(j.table);
    auto error = builder.CreateString(cut_utf8(j.error, kRepairJobErrorBytesMax));
    out.push_back(wire::CreateRepairJob(builder, j.id, state, table, j.started_wall_ms,
                                        j.finished_wall_ms, j.ranges_total, j.ranges_done,
                                        j.ranges_failed, fraction(j.progress), j.records_differing,
                                        j.records_exchanged, j.bytes_exchanged, error));
  }
  return builder.CreateVector(out);
}

// The first ranges in table and token order that fit the count and the bytes allowed.
std::vector<const RepairRangeView*> ranges_to_list(const std::vector<RepairRangeView>& ranges) {
  std::vector<const RepairRangeView*> sorted;
  sorted.reserve(ranges.size());
  for (const RepairRangeView& r : ranges) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const RepairRangeView* a, const RepairRangeView* b) {
    return std::tie(a->table, a->range.start, a->range.end) <
           std::tie(b->table, b->range.start, b->range.end);
  });
  size_t bytes = 0;
  size_t count = 0;
  const std::string* last_table = nullptr;
  for (; count < std::min(sorted.size(), kRepairStatusRangesMax); ++count) {
    // Sorted by name, so a name not seen yet is a name different from the last one.
    const bool new_name = last_table == nullptr || *last_table != sorted[count]->table;
    const size_t cost =
        kRepairRangeStateWireBytesMax + (new_name ? kRepairTableNameWireBytesMax : 0);
    if (bytes + cost > kRepairStatusRangesBytesMax) break;
    bytes += cost;
    last_table = &sorted[count]->table;
  }
  sorted.resize(count);
  return sorted;
}

OffsetVector<wire::RepairRangeState> ranges_to_wire(FlatBufferBuilder& builder,
                                                    const std::vector<RepairRangeView>& ranges) {
  const std::vector<const RepairRangeView*> listed = ranges_to_list(ranges);
  std::vector<Offset<wire::RepairRangeState>> out;
  out.reserve(listed.size());
  for (const RepairRangeView* r : listed) {
    PAIRDB_DASSERT(r->table.size() <= replication::kTableNameBytesMax);
    auto table = builder.CreateSharedString(r->table);
    out.push_back(wire::CreateRepairRangeState(builder, table, r->range.start, r->range.end,
                                               r->last_verified_wall_ms, r->records_differing,
                                               r->marked, r->overdue, r->running));
  }
  return builder.CreateVector(out);
}

}  // namespace

void build_repair_status(FlatBufferBuilder& builder, const RepairStatus& status) {
  // Every field present: one vtable per table type, which the size bounds above rely on.
  builder.ForceDefaults(true);
  auto sessions = sessions_to_wire(builder, status.sessions);
  auto jobs = jobs_to_wire(builder, status.jobs);
  auto ranges = ranges_to_wire(builder, status.ranges);
  builder.Finish(wire::CreateRepairStatusResponse(builder, sessions, jobs, ranges,
                                                  status.ranges.size(), status.interval_ms,
                                                  status.rate_bytes_per_sec));
  PAIRDB_ASSERT(builder.GetSize() <= kRepairStatusBytesMax);
}

Result<RepairRunRequest> repair_run_request_of(const wire::RepairRunRequest& request) {
  RepairRunRequest out;
  if (request.table() != nullptr) out.table = request.table()->str();
  if (out.table.size() > replication::kTableNameBytesMax) {
    return Status::invalid_argument(fmt::format("RepairRun: a table name is at most {} bytes",
                                                replication::kTableNameBytesMax));
  }
  if (const wire::RepairTokenRange* range = request.range(); range != nullptr) {
    if (range->start() == range->end()) {
      return Status::invalid_argument(fmt::format(
          "RepairRun: the token range ({0:#x}, {0:#x}] is empty; leave the range out to repair "
          "the whole ring",
          range->start()));
    }
    out.range = ring::TokenRange{range->start(), range->end()};
  }
  out.full = request.full();
  return out;
}

}  // namespace pairdb::server
