// How pairdb-admin shows anti-entropy repair: a job's progress while `pairdb-admin repair`
// waits for it, its summary, and `repair status` as tables or JSON. Pure functions, and one
// small reporter that is not thread-safe (one thread reports).
#pragma once

#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <optional>
#include <string>

#include <pairdb/client/types.h>
#include <boost/json/object.hpp>

#include "admin/progress.h"

namespace pairdb::admin {

// "(0x0000000000000000, 0x00000000000000ff]": a range as hex tokens, start exclusive.
std::string token_range_text(const client::TokenRange& range);

// Every field; times are Unix milliseconds, tokens numbers.
boost::json::object to_json(const client::RepairJob& job);
// {"interval_ms", "rate_bytes_per_sec", "sessions", "jobs", "ranges", "ranges_total"}.
boost::json::object to_json(const client::RepairStatus& status);

// While a job runs: "repair users: 3/7 ranges, 42.0%, 1,234 records differed, 5.6 MiB
// exchanged" ("repair all tables: ..." for every table).
std::string repair_progress_line(const client::RepairJob& job);
// Once it finished: "repair users: done, 7/7 ranges in 3m12s, ..." or "repair users: failed,
// 5/7 ranges, 2 failed, in 3m12s, ...: <error>".
std::string repair_summary_line(const client::RepairJob& job);

// `repair status` as text: the schedule, the running sessions, the recent jobs, and each range
// with its last verification (UTC and age relative to now_wall_ms), differing records and flags.
void print_repair_status(std::ostream& out, const client::RepairStatus& status,
                         uint64_t now_wall_ms);

// A job's progress as `pairdb-admin repair` polls it: on a terminal one line rewritten at each
// update; elsewhere (a pipe, a log) a plain line the first time and whenever ranges_done
// changed, so a log holds one line per finished range rather than one per poll.
class RepairProgress {
 public:
  RepairProgress(std::FILE* out, bool interactive);

  void update(const client::RepairJob& job);
  // Writes repair_summary_line(job) as the last line.
  void finish(const client::RepairJob& job);

 private:
  ProgressReporter reporter_;
  const bool interactive_;
  std::optional<uint32_t> shown_ranges_done_;  // Not interactive: of the last line written.
};

}  // namespace pairdb::admin
