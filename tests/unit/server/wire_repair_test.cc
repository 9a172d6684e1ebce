// The repair side of the binary protocol: RepairRun requests decoded (and refused when bad),
// RepairStatus responses encoded, sorted, cut to their bounds and within the frame budget.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "server/wire/wire_repair.h"

using namespace pairdb;
using namespace pairdb::server;

namespace {

// A RepairRunRequest payload, read back as the handler reads it.
struct RunPayload {
  flatbuffers::FlatBufferBuilder builder;

  const wire::RepairRunRequest& build(const char* table, const ring::TokenRange* range, bool full) {
    auto name = table == nullptr ? 0 : builder.CreateString(table);
    auto wire_range =
        range == nullptr ? 0 : wire::CreateRepairTokenRange(builder, range->start, range->end);
    builder.Finish(wire::CreateRepairRunRequest(builder, name, wire_range, full));
    return *flatbuffers::GetRoot<wire::RepairRunRequest>(builder.GetBufferPointer());
  }
};

ring::NodeId node(uint64_t n) { return ring::NodeId::from_words(0x0f1e2d3c4b5a4968, n); }

const wire::RepairStatusResponse& response_of(const flatbuffers::FlatBufferBuilder& builder) {
  flatbuffers::Verifier verifier(builder.GetBufferPointer(), builder.GetSize());
  REQUIRE(verifier.VerifyBuffer<wire::RepairStatusResponse>(nullptr));
  return *flatbuffers::GetRoot<wire::RepairStatusResponse>(builder.GetBufferPointer());
}

}  // namespace

TEST_CASE("RepairRun: table, range and full are read, absent fields mean everything") {
  RunPayload all;
  auto everything = repair_run_request_of(all.build(nullptr, nullptr, false));
  REQUIRE(everything.is_ok());
  CHECK(everything->table.empty());
  CHECK_FALSE(everything->range.has_value());
  CHECK_FALSE(everything->full);

  RunPayload some;
  const ring::TokenRange wrapping{~uint64_t{0} - 5, 10};  // Through 0: still a range.
  auto ranged = repair_run_request_of(some.build("users", &wrapping, true));
  REQUIRE(ranged.is_ok());
  CHECK(ranged->table == "users");
  REQUIRE(ranged->range.has_value());
  CHECK(*ranged->range == wrapping);
  CHECK(ranged->full);
}

TEST_CASE("RepairRun refuses an empty range and an overlong table name") {
  RunPayload empty_range;
  const ring::TokenRange same{7, 7};
  auto empty = repair_run_request_of(empty_range.build("users", &same, false));
  REQUIRE_FALSE(empty.is_ok());
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
  CHECK(empty.status().message().find("(0x7, 0x7] is empty") != std::string::npos);

  RunPayload long_name;
  const std::string name(replication::kTableNameBytesMax + 1, 't');
  auto overlong = repair_run_request_of(long_name.build(name.c_str(), nullptr, false));
  REQUIRE_FALSE(overlong.is_ok());
  CHECK(overlong.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("RepairStatus carries sessions, jobs, ranges and the schedule") {
  RepairStatus status;
  RepairSessionView session;
  session.table = "users";
  session.range = {100, 200};
  session.peers = {node(2), node(3)};
  session.progress = 0.5;
  session.background = true;
  session.stats.records_differing = 7;
  session.stats.records_fetched = 3;
  session.stats.records_pushed = 4;
  session.stats.bytes_sent = 1000;
  session.stats.bytes_received = 2000;
  status.sessions.push_back(session);
  RepairJobView job;
  job.id = 9;
  job.state = RepairJobState::kFailed;
  job.table = "users";
  job.started_wall_ms = 1'700'000'000'000;
  job.finished_wall_ms = 1'700'000'060'000;
  job.ranges_total = 7;
  job.ranges_done = 5;
  job.ranges_failed = 2;
  job.progress = 1.5;  // Out of [0, 1]: sent clamped.
  job.records_differing = 12;
  job.records_exchanged = 30;
  job.bytes_exchanged = 4096;
  job.error = "peer timed out";
  status.jobs.push_back(job);
  RepairRangeView range;
  range.table = "users";
  range.range = {0, 100};
  range.last_verified_wall_ms = 1'699'000'000'000;
  range.records_differing = 6;
  range.marked = true;
  range.running = true;
  status.ranges.push_back(range);
  status.interval_ms = 86'400'000;
  status.rate_bytes_per_sec = 8 << 20;

  flatbuffers::FlatBufferBuilder builder;
  build_repair_status(builder, status);
  const wire::RepairStatusResponse& response = response_of(builder);
  REQUIRE(response.sessions()->size() == 1);
  const wire::RepairSession* s = response.sessions()->Get(0);
  CHECK(s->table()->str() == "users");
  CHECK(s->range_start() == 100);
  CHECK(s->range_end() == 200);
  REQUIRE(s->peers()->size() == 2);
  CHECK(s->peers()->Get(0)->str() == node(2).to_string());
  CHECK(s->progress() == 0.5);
  CHECK(s->background());
  CHECK(s->records_differing() == 7);
  CHECK(s->records_fetched() == 3);
  CHECK(s->records_pushed() == 4);
  CHECK(s->bytes_sent() == 1000);
  CHECK(s->bytes_received() == 2000);
  REQUIRE(response.jobs()->size() == 1);
  const wire::RepairJob* j = response.jobs()->Get(0);
  CHECK(j->id() == 9);
  CHECK(j->state()->str() == repair_job_state_name(RepairJobState::kFailed));
  CHECK(j->table()->str() == "users");
  CHECK(j->started_wall_ms() == 1'700'000'000'000);
  CHECK(j->finished_wall_ms() == 1'700'000'060'000);
  CHECK(j->ranges_total() == 7);
  CHECK(j->ranges_done() == 5);
  CHECK(j->ranges_failed() == 2);
  CHECK(j->progress() == 1.0);
  CHECK(j->records_differing() == 12);
  CHECK(j->records_exchanged() == 30);
  CHECK(j->bytes_exchanged() == 4096);
  CHECK(j->error()->str() == "peer timed out");
  REQUIRE(response.ranges()->size() == 1);
  const wire::RepairRangeState* r = response.ranges()->Get(0);
  CHECK(r->table()->str() == "users");
  CHECK(r->range_start() == 0);
  CHECK(r->range_end() == 100);
  CHECK(r->last_verified_wall_ms() == 1'699'000'000'000);
  CHECK(r->records_differing() == 6);
  CHECK(r->marked());
  CHECK_FALSE(r->overdue());
  CHECK(r->running());
  CHECK(response.ranges_total() == 1);
  CHECK(response.interval_ms() == 86'400'000);
  CHECK(response.rate_bytes_per_sec() == 8u << 20);
}

TEST_CASE("RepairStatus lists ranges by table then token, and a job's error cut whole") {
  RepairStatus status;
  for (const auto& [table, start] : std::vector<std::pair<std::string, uint64_t>>{
           {"users", 300}, {"events", 500}, {"users", 100}, {"events", 0}}) {
    RepairRangeView range;
    range.table = table;
    range.range = {start, start + 50};
    status.ranges.push_back(range);
  }
  RepairJobView job;
  job.error = std::string(kRepairJobErrorBytesMax - 1, 'e') + "\xc3\xa9";  // 'é' straddles.
  status.jobs.push_back(job);
  flatbuffers::FlatBufferBuilder builder;
  build_repair_status(builder, status);
  const wire::RepairStatusResponse& response = response_of(builder);
  std::vector<std::pair<std::string, uint64_t>> listed;
  for (const wire::RepairRangeState* r : *response.ranges()) {
    listed.emplace_back(r->table()->str(), r->range_start());
  }
  CHECK(listed == std::vector<std::pair<std::string, uint64_t>>{
                      {"events", 0}, {"events", 500}, {"users", 100}, {"users", 300}});
  CHECK(response.jobs()->Get(0)->error()->str() == std::string(kRepairJobErrorBytesMax - 1, 'e'));
}

namespace {

const std::string kLongestName(replication::kTableNameBytesMax, 'n');

// The longest name, made distinct by `i` so that no two share a string.
std::string distinct_name(size_t i) {
  std::string name = kLongestName;
  name.replace(0, 4, fmt::format("{:04}", i));
  return name;
}

// Sessions, jobs or ranges at their worst: every count over its cap, every field at its
// largest, no name shared.
void add_worst_sessions(RepairStatus& status) {
  for (size_t i = 0; i < kRepairStatusSessionsMax + 3; ++i) {
    RepairSessionView session;
    session.table = distinct_name(i);
    for (size_t p = 0; p + 1 < ring::kReplicationFactorMax; ++p) session.peers.push_back(node(p));
    session.range = {~uint64_t{0} - 1, ~uint64_t{0}};
    session.progress = 0.5;
    session.background = true;
    session.stats.records_differing = session.stats.records_fetched = ~uint64_t{0};
    session.stats.records_pushed = session.stats.bytes_sent = ~uint64_t{0};
    session.stats.bytes_received = ~uint64_t{0};
    status.sessions.push_back(session);
  }
}

void add_worst_jobs(RepairStatus& status) {
  for (size_t i = 0; i < kRepairStatusJobsMax + 3; ++i) {
    RepairJobView job;
    job.id = i + 1;
    job.state = RepairJobState::kRunning;  // The longest state name.
    job.table = distinct_name(100 + i);
    job.started_wall_ms = job.finished_wall_ms = ~uint64_t{0};
    job.ranges_total = job.ranges_done = job.ranges_failed = ~uint32_t{0};
    job.progress = 0.5;
    job.records_differing = job.records_exchanged = job.bytes_exchanged = ~uint64_t{0};
    job.error = std::string(4 * kRepairJobErrorBytesMax, 'x');
    status.jobs.push_back(job);
  }
}

RepairRangeView worst_range(std::string table, size_t i) {
  RepairRangeView range;
  range.table = std::move(table);
  range.range = {i, ~uint64_t{0} - i};
  range.last_verified_wall_ms = ~uint64_t{0};
  range.records_differing = ~uint64_t{0};
  range.marked = range.overdue = range.running = true;
  return range;
}

size_t size_of(const RepairStatus& status) {
  flatbuffers::FlatBufferBuilder builder;
  build_repair_status(builder, status);
  return builder.GetSize();
}

}  // namespace

TEST_CASE("each part of a RepairStatus at its worst stays within its own bound") {
  RepairStatus sessions;
  add_worst_sessions(sessions);
  CHECK(size_of(sessions) <=
        kRepairStatusSessionsMax * kRepairSessionWireBytesMax + kRepairStatusFixedWireBytesMax);
  RepairStatus jobs;
  add_worst_jobs(jobs);
  CHECK(size_of(jobs) <=
        kRepairStatusJobsMax * kRepairJobWireBytesMax + kRepairStatusFixedWireBytesMax);
  RepairStatus one_table;
  for (size_t i = 0; i < kRepairStatusRangesMax; ++i) {
    one_table.ranges.push_back(worst_range(kLongestName, i));
  }
  CHECK(size_of(one_table) <= kRepairStatusRangesMax * kRepairRangeStateWireBytesMax +
                                  kRepairTableNameWireBytesMax + kRepairStatusFixedWireBytesMax);
  RepairStatus many_tables;
  for (size_t i = 0; i < kRepairStatusRangesMax; ++i) {
    many_tables.ranges.push_back(worst_range(distinct_name(i), i));
  }
  CHECK(size_of(many_tables) <= kRepairStatusRangesBytesMax + kRepairStatusFixedWireBytesMax);
}

TEST_CASE("RepairStatus at its bounds stays within the frame budget and says what it cut") {
  RepairStatus status;
  add_worst_sessions(status);
  add_worst_jobs(status);

  SECTION("one table's ranges are listed whole") {
    for (size_t i = 0; i < kRepairStatusRangesMax; ++i) {
      status.ranges.push_back(worst_range(kLongestName, i));
    }
    flatbuffers::FlatBufferBuilder builder;
    build_repair_status(builder, status);
    CHECK(builder.GetSize() <= kRepairStatusBytesMax);
    const wire::RepairStatusResponse& response = response_of(builder);
    CHECK(response.sessions()->size() == kRepairStatusSessionsMax);
    CHECK(response.jobs()->size() == kRepairStatusJobsMax);
    CHECK(response.jobs()->Get(0)->id() == 1);  // The first ones: newest first.
    CHECK(response.jobs()->Get(0)->error()->size() == kRepairJobErrorBytesMax);
    CHECK(response.ranges()->size() == kRepairStatusRangesMax);
    CHECK(response.ranges_total() == kRepairStatusRangesMax);
  }

  SECTION("more ranges are cut to the count, and ranges_total says how many exist") {
    for (size_t i = 0; i < kRepairStatusRangesMax + 100; ++i) {
      status.ranges.push_back(worst_range(kLongestName, i));
    }
    flatbuffers::FlatBufferBuilder builder;
    build_repair_status(builder, status);
    CHECK(builder.GetSize() <= kRepairStatusBytesMax);
    const wire::RepairStatusResponse& response = response_of(builder);
    CHECK(response.ranges()->size() == kRepairStatusRangesMax);
    CHECK(response.ranges_total() == kRepairStatusRangesMax + 100);
    CHECK(response.ranges()->Get(kRepairStatusRangesMax - 1)->range_start() ==
          kRepairStatusRangesMax - 1);
  }

  SECTION("ranges of many tables are cut to the bytes, each table's name counted once") {
    for (size_t i = 0; i < kRepairStatusRangesMax; ++i) {
      status.ranges.push_back(worst_range(distinct_name(i), i));
    }
    flatbuffers::FlatBufferBuilder builder;
    build_repair_status(builder, status);
    CHECK(builder.GetSize() <= kRepairStatusBytesMax);
    const wire::RepairStatusResponse& response = response_of(builder);
    const size_t fitting = kRepairStatusRangesBytesMax /
                           (kRepairRangeStateWireBytesMax + kRepairTableNameWireBytesMax);
    CHECK(response.ranges()->size() == fitting);
    CHECK(response.ranges_total() == kRepairStatusRangesMax);
  }
}

TEST_CASE("RepairStatus of a node with nothing to say is valid and empty") {
  flatbuffers::FlatBufferBuilder builder;
  build_repair_status(builder, RepairStatus{});
  const wire::RepairStatusResponse& response = response_of(builder);
  CHECK(response.sessions()->size() == 0);
  CHECK(response.jobs()->size() == 0);
  CHECK(response.ranges()->size() == 0);
  CHECK(response.ranges_total() == 0);
}
