// pairdb-admin's repair views: progress and summary lines, `repair status` as tables and JSON.
#include <cstdio>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "admin/repair_views.h"
#include "admin/table_printer.h"

using namespace pairdb::admin;
using pairdb::client::RepairJob;
using pairdb::client::RepairStatus;

namespace {

constexpr uint64_t kNow = 1'765'000'000'000;  // 2025-12-06 05:46:40 UTC.

RepairJob running_job() {
  return RepairJob{.id = 3,
                   .state = "running",
                   .table = "users",
                   .started_wall_ms = kNow - 192'000,
                   .ranges_total = 7,
                   .ranges_done = 3,
                   .progress = 0.42,
                   .records_differing = 1234,
                   .records_exchanged = 2000,
                   .bytes_exchanged = 5'872'026};  // 5.6 MiB.
}

RepairStatus sample_status() {
  RepairStatus status;
  status.sessions.push_back({.table = "users",
                             .range = {0, 255},
                             .peers = {"0f1e2d3c-4b5a-4968-8776-655443322110"},
                             .progress = 0.5,
                             .records_differing = 12,
                             .records_fetched = 5,
                             .records_pushed = 7,
                             .bytes_sent = 1024,
                             .bytes_received = 512});
  status.jobs.push_back(running_job());
  RepairJob failed = running_job();
  failed.id = 2;
  failed.state = "failed";
  failed.table = "";
  failed.started_wall_ms = kNow - 7'200'000;
  failed.finished_wall_ms = kNow - 7'200'000 + 45'000;
  failed.ranges_done = 6;
  failed.ranges_failed = 1;
  failed.progress = 1;
  failed.error = "peer timed out";
  status.jobs.push_back(failed);
  status.ranges.push_back({.table = "users",
                           .range = {0, 255},
                           .last_verified_wall_ms = kNow - 45'000,
                           .records_differing = 12,
                           .running = true});
  status.ranges.push_back(
      {.table = "users", .range = {255, 0xff00000000000000}, .marked = true, .overdue = true});
  status.ranges_total = 5;
  status.interval_ms = 86'400'000;
  status.rate_bytes_per_sec = 8 << 20;
  return status;
}

// Everything written to a temporary FILE* by write(file).
template <typename Write>
std::string output_of(Write write) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  write(file);
  std::fflush(file);
  std::rewind(file);
  std::string out;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out.append(buffer, n);
  std::fclose(file);
  return out;
}

}  // namespace

TEST_CASE("counts get thousands separators and times print as UTC") {
  CHECK(format_count(0) == "0");
  CHECK(format_count(999) == "999");
  CHECK(format_count(1234) == "1,234");
  CHECK(format_count(1'234'567) == "1,234,567");
  CHECK(format_count(~uint64_t{0}) == "18,446,744,073,709,551,615");
  CHECK(format_utc(0) == "1970-01-01 00:00:00");
  CHECK(format_utc(kNow + 999) == "2025-12-06 05:46:40");
  CHECK(token_range_text({0, 255}) == "(0x0000000000000000, 0x00000000000000ff]");
}

TEST_CASE("a running job's progress line and a finished job's summary") {
  CHECK(repair_progress_line(running_job()) ==
        "repair users: 3/7 ranges, 42.0%, 1,234 records differed, 5.6 MiB exchanged");
  RepairJob all = running_job();
  all.table = "";
  CHECK(repair_progress_line(all).starts_with("repair all tables: 3/7 ranges"));

  RepairJob done = running_job();
  done.state = "done";
  done.ranges_done = 7;
  done.finished_wall_ms = done.started_wall_ms + 192'000;
  CHECK(repair_summary_line(done) ==
        "repair users: done, 7/7 ranges in 3m12s, 1,234 records differed, 5.6 MiB exchanged");
  RepairJob failed = done;
  failed.state = "failed";
  failed.ranges_done = 5;
  failed.ranges_failed = 2;
  failed.error = "peer timed out";
  CHECK(repair_summary_line(failed) ==
        "repair users: failed, 5/7 ranges, 2 failed, in 3m12s, 1,234 records differed, 5.6 MiB "
        "exchanged: peer timed out");
}

TEST_CASE("not on a terminal, progress is one plain line per change of ranges done") {
  const std::string out = output_of([](std::FILE* file) {
    RepairProgress progress(file, /*interactive=*/false);
    RepairJob job = running_job();
    job.ranges_done = 0;
    job.progress = 0;
    progress.update(job);
    job.progress = 0.1;  // Polled again, no range finished: no line.
    progress.update(job);
    job.ranges_done = 1;
    job.progress = 0.2;
    progress.update(job);
    job.ranges_done = 3;
    job.progress = 0.42;
    progress.update(job);
    progress.update(job);
    job.state = "done";
    job.ranges_done = 7;
    job.progress = 1;
    job.finished_wall_ms = job.started_wall_ms + 45'000;
    progress.finish(job);
  });
  CHECK(out ==
        "repair users: 0/7 ranges, 0.0%, 1,234 records differed, 5.6 MiB exchanged\n"
        "repair users: 1/7 ranges, 20.0%, 1,234 records differed, 5.6 MiB exchanged\n"
        "repair users: 3/7 ranges, 42.0%, 1,234 records differed, 5.6 MiB exchanged\n"
        "repair users: done, 7/7 ranges in 45s, 1,234 records differed, 5.6 MiB exchanged\n");
}

TEST_CASE("on a terminal, progress is one line rewritten in place, then the summary") {
  const std::string out = output_of([](std::FILE* file) {
    RepairProgress progress(file, /*interactive=*/true);
    RepairJob job = running_job();
    progress.update(job);
    job.state = "failed";
    job.finished_wall_ms = job.started_wall_ms + 45'000;
    progress.finish(job);
  });
  CHECK(out ==
        "\rrepair users: 3/7 ranges, 42.0%, 1,234 records differed, 5.6 MiB exchanged\x1b[K"
        "\rrepair users: failed, 3/7 ranges, 0 failed, in 45s, 1,234 records differed, 5.6 MiB "
        "exchanged\x1b[K\n");
}

TEST_CASE("repair status as text: schedule, sessions, jobs, and ranges with age and flags") {
  std::ostringstream out;
  print_repair_status(out, sample_status(), kNow);
  CHECK(out.str() ==
        "Repair: every range verified every 1d0h; rate 8.0 MiB/s\n"
        "Running sessions:\n"
        "Table  Token range                               Progress  Differing  Fetched  Pushed  "
        "  Bytes  Started by  Peers\n"
        "users  (0x0000000000000000, 0x00000000000000ff]     50.0%         12        5       7  "
        "1.5 KiB  job         0f1e2d3c-4b5a-4968-8776-655443322110\n"
        "Recent jobs:\n"
        "Job  State    Table       Started (UTC)        Took  Ranges  Failed  Progress  Differing  "
        "Exchanged    Bytes  Error\n"
        "  3  running  users       2025-12-06 05:43:28     -     3/7       0     42.0%      1,234  "
        "    2,000  5.6 MiB  -\n"
        "  2  failed   all tables  2025-12-06 03:46:40   45s     6/7       1    100.0%      1,234  "
        "    2,000  5.6 MiB  peer timed out\n"
        "Ranges (the first 2 of 5):\n"
        "Table  Token range                               Last verified (UTC)  Age  Differing  "
        "Flags\n"
        "users  (0x0000000000000000, 0x00000000000000ff]  2025-12-06 05:45:55  45s         12  "
        "running\n"
        "users  (0x00000000000000ff, 0xff00000000000000]  never                  -          -  "
        "marked, overdue\n");

  std::ostringstream idle;
  print_repair_status(idle, RepairStatus{}, kNow);
  CHECK(idle.str() ==
        "Repair: background repair off; rate unlimited\n"
        "No repair sessions running.\n"
        "No repair jobs.\n"
        "No ranges replicated here.\n");
}

TEST_CASE("repair status and a job as JSON keep every field") {
  const boost::json::object json = to_json(sample_status());
  CHECK(json.at("interval_ms") == 86'400'000);
  CHECK(json.at("rate_bytes_per_sec") == 8 << 20);
  const auto& session = json.at("sessions").as_array().at(0);
  CHECK(session.at("table") == "users");
  CHECK(session.at("range_end") == 255);
  CHECK(session.at("peers").as_array().at(0) == "0f1e2d3c-4b5a-4968-8776-655443322110");
  CHECK(session.at("progress") == 0.5);
  CHECK(session.at("background") == false);
  CHECK(session.at("records_pushed") == 7);
  CHECK(session.at("bytes_received") == 512);
  const auto& job = json.at("jobs").as_array().at(1);
  CHECK(job.at("id") == 2);
  CHECK(job.at("state") == "failed");
  CHECK(job.at("table") == "");
  CHECK(job.at("ranges_failed") == 1);
  CHECK(job.at("error") == "peer timed out");
  const auto& range = json.at("ranges").as_array().at(1);
  CHECK(range.at("range_end").as_uint64() == 0xff00000000000000);
  CHECK(range.at("last_verified_wall_ms") == 0);
  CHECK(range.at("marked") == true);
  CHECK(range.at("overdue") == true);
  CHECK(range.at("running") == false);
  CHECK(json.at("ranges_total") == 5);

  const boost::json::object one = to_json(running_job());
  CHECK(one.at("id") == 3);
  CHECK(one.at("state") == "running");
  CHECK(one.at("ranges_done") == 3);
  CHECK(one.at("ranges_total") == 7);
  CHECK(one.at("progress") == 0.42);
  CHECK(one.at("records_differing") == 1234);
  CHECK(one.at("records_exchanged") == 2000);
  CHECK(one.at("bytes_exchanged") == 5'872'026);
  CHECK(one.at("finished_wall_ms") == 0);
}
