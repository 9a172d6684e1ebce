// Text and JSON forms of repair jobs and of a node's repair state.
#include "admin/repair_views.h"

#include <chrono>
#include <ostream>
#include <utility>

#include <fmt/format.h>
#include <boost/json/array.hpp>

#include "admin/table_printer.h"
#include "admin/views.h"

namespace pairdb::admin {

std::string token_range_text(const client::TokenRange& range) {
  return fmt::format("({}, {}]", token_text(range.start), token_text(range.end));
}

namespace {

boost::json::object to_json(const client::RepairSession& s) {
  boost::json::array peers;
  for (const std::string& peer : s.peers) peers.push_back(boost::json::string(peer));
  return boost::json::object{{"table", s.table},
                             {"range_start", s.range.start},
                             {"range_end", s.range.end},
                             {"peers", std::move(peers)},
                             {"progress", s.progress},
                             {"background", s.background},
                             {"records_differing", s.records_differing},
                             {"records_fetched", s.records_fetched},
                             {"records_pushed", s.records_pushed},
                             {"bytes_sent", s.bytes_sent},
                             {"bytes_received", s.bytes_received}};
}

boost::json::object to_json(const client::RepairRangeState& r) {
  return boost::json::object{{"table", r.table},
                             {"range_start", r.range.start},
                             {"range_end", r.range.end},
                             {"last_verified_wall_ms", r.last_verified_wall_ms},
                             {"records_differing", r.records_differing},
                             {"marked", r.marked},
                             {"overdue", r.overdue},
                             {"running", r.running}};
}

std::string what_of(const client::RepairJob& job) {
  return job.table.empty() ? "all tables" : job.table;
}

// How long the job ran, by the node's clock; "-" while it runs.
std::string took_text(const client::RepairJob& job) {
  if (job.finished_wall_ms == 0 || job.finished_wall_ms < job.started_wall_ms) return "-";
  return format_duration(job.finished_wall_ms - job.started_wall_ms);
}

std::string age_text(uint64_t then_wall_ms, uint64_t now_wall_ms) {
  if (then_wall_ms == 0 || then_wall_ms > now_wall_ms) return "-";
  return format_duration(now_wall_ms - then_wall_ms);
}

}  // namespace

boost::json::object to_json(const client::RepairJob& job) {
  return boost::json::object{{"id", job.id},
                             {"state", job.state},
                             {"table", job.table},
                             {"started_wall_ms", job.started_wall_ms},
                             {"finished_wall_ms", job.finished_wall_ms},
                             {"ranges_total", job.ranges_total},
                             {"ranges_done", job.ranges_done},
                             {"ranges_failed", job.ranges_failed},
                             {"progress", job.progress},
                             {"records_differing", job.records_differing},
                             {"records_exchanged", job.records_exchanged},
                             {"bytes_exchanged", job.bytes_exchanged},
                             {"error", job.error}};
}

boost::json::object to_json(const client::RepairStatus& status) {
  boost::json::array sessions;
  for (const auto& s : status.sessions) sessions.push_back(to_json(s));
  boost::json::array jobs;
  for (const auto& j : status.jobs) jobs.push_back(to_json(j));
  boost::json::array ranges;
  for (const auto& r : status.ranges) ranges.push_back(to_json(r));
  return boost::json::object{
      {"interval_ms", status.interval_ms}, {"rate_bytes_per_sec", status.rate_bytes_per_sec},
      {"sessions", std::move(sessions)},   {"jobs", std::move(jobs)},
      {"ranges", std::move(ranges)},       {"ranges_total", status.ranges_total}};
}

std::string repair_progress_line(const client::RepairJob& job) {
  return fmt::format("repair {}: {}/{} ranges, {}, {} records differed, {} exchanged", what_of(job),
                     job.ranges_done, job.ranges_total, format_percent(job.progress),
                     format_count(job.records_differing), format_bytes(job.bytes_exchanged));
}

std::string repair_summary_line(const client::RepairJob& job) {
  const std::string totals =
      fmt::format("{} records differed, {} exchanged", format_count(job.records_differing),
                  format_bytes(job.bytes_exchanged));
  if (job.state == "failed") {
    std::string line =
        fmt::format("repair {}: failed, {}/{} ranges, {} failed, in {}, {}", what_of(job),
                    job.ranges_done, job.ranges_total, job.ranges_failed, took_text(job), totals);
    if (!job.error.empty()) line += ": " + job.error;
    return line;
  }
  return fmt::format("repair {}: {}, {}/{} ranges in {}, {}", what_of(job), job.state,
                     job.ranges_done, job.ranges_total, took_text(job), totals);
}

namespace {

void print_schedule(std::ostream& out, const client::RepairStatus& status) {
  const std::string every =
      status.interval_ms == 0 ? "background repair off"
                              : "every range verified every " + format_duration(status.interval_ms);
  const std::string rate =
      status.rate_bytes_per_sec == 0 ? "unlimited" : format_bytes(status.rate_bytes_per_sec) + "/s";
  out << fmt::format("Repair: {}; rate {}\n", every, rate);
}

void print_sessions(std::ostream& out, const client::RepairStatus& status) {
  if (status.sessions.empty()) {
    out << "No repair sessions running.\n";
    return;
  }
  out << "Running sessions:\n";
  using Align = TablePrinter::Align;
  TablePrinter table({{"Table"},
                      {"Token range"},
                      {"Progress", Align::kRight},
                      {"Differing", Align::kRight},
                      {"Fetched", Align::kRight},
                      {"Pushed", Align::kRight},
                      {"Bytes", Align::kRight},
                      {"Started by"},
                      {"Peers"}});
  for (const auto& s : status.sessions) {
    std::string peers;
    for (const std::string& peer : s.peers) peers += (peers.empty() ? "" : ", ") + peer;
    table.add_row({s.table, token_range_text(s.range), format_percent(s.progress),
                   format_count(s.records_differing), format_count(s.records_fetched),
                   format_count(s.records_pushed), format_bytes(s.bytes_sent + s.bytes_received),
                   s.background ? "schedule" : "job", peers.empty() ? "-" : peers});
  }
  table.print(out);
}

void print_jobs(std::ostream& out, const client::RepairStatus& status) {
  if (status.jobs.empty()) {
    out << "No repair jobs.\n";
    return;
  }
  out << "Recent jobs:\n";
  using Align = TablePrinter::Align;
  TablePrinter table({{"Job", Align::kRight},
                      {"State"},
                      {"Table"},
                      {"Started (UTC)"},
                      {"Took", Align::kRight},
                      {"Ranges", Align::kRight},
                      {"Failed", Align::kRight},
                      {"Progress", Align::kRight},
                      {"Differing", Align::kRight},
                      {"Exchanged", Align::kRight},
                      {"Bytes", Align::kRight},
                      {"Error"}});
  for (const auto& j : status.jobs) {
    table.add_row({std::to_string(j.id), j.state, what_of(j), format_utc(j.started_wall_ms),
                   took_text(j), fmt::format("{}/{}", j.ranges_done, j.ranges_total),
                   std::to_string(j.ranges_failed), format_percent(j.progress),
                   format_count(j.records_differing), format_count(j.records_exchanged),
                   format_bytes(j.bytes_exchanged), j.error.empty() ? "-" : j.error});
  }
  table.print(out);
}

std::string flags_text(const client::RepairRangeState& r) {
  std::string flags;
  auto add = [&flags](bool on, std::string_view name) {
    if (on) flags += fmt::format("{}{}", flags.empty() ? "" : ", ", name);
  };
  add(r.running, "running");
  add(r.marked, "marked");
  add(r.overdue, "overdue");
  return flags.empty() ? "-" : flags;
}

void print_ranges(std::ostream& out, const client::RepairStatus& status, uint64_t now_wall_ms) {
  if (status.ranges.empty() && status.ranges_total == 0) {
    out << "No ranges replicated here.\n";
    return;
  }
  out << "Ranges";
  if (status.ranges_total > status.ranges.size()) {
    out << fmt::format(" (the first {} of {})", status.ranges.size(), status.ranges_total);
  }
  out << ":\n";
  using Align = TablePrinter::Align;
  TablePrinter table({{"Table"},
                      {"Token range"},
                      {"Last verified (UTC)"},
                      {"Age", Align::kRight},
                      {"Differing", Align::kRight},
                      {"Flags"}});
  for (const auto& r : status.ranges) {
    const bool never = r.last_verified_wall_ms == 0;
    table.add_row({r.table, token_range_text(r.range),
                   never ? "never" : format_utc(r.last_verified_wall_ms),
                   age_text(r.last_verified_wall_ms, now_wall_ms),
                   never ? "-" : format_count(r.records_differing), flags_text(r)});
  }
  table.print(out);
}

}  // namespace

void print_repair_status(std::ostream& out, const client::RepairStatus& status,
                         uint64_t now_wall_ms) {
  print_schedule(out, status);
  print_sessions(out, status);
  print_jobs(out, status);
  print_ranges(out, status, now_wall_ms);
}

// Not interactive, the reporter must not drop a line for coming too soon after the last: the
// lines are already one per finished range.
RepairProgress::RepairProgress(std::FILE* out, bool interactive)
    : reporter_(out, interactive, std::chrono::milliseconds(0)), interactive_(interactive) {}

void RepairProgress::update(const client::RepairJob& job) {
  if (!interactive_) {
    if (shown_ranges_done_ == job.ranges_done) return;
    shown_ranges_done_ = job.ranges_done;
  }
  reporter_.update(repair_progress_line(job));
}

void RepairProgress::finish(const client::RepairJob& job) {
  reporter_.finish(repair_summary_line(job));
}

}  // namespace pairdb::admin
