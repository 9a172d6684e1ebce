// Progress of a long admin operation (compact now; repair and decommission later).
// On a terminal one status line is rewritten in place ("\r" + erase line) at most every
// 100 ms; otherwise (a pipe, a log file) a plain line is written at most once every
// `plain_interval`, so logs stay readable. finish() ends the line.
// Not thread-safe: one thread reports.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace pairdb::admin {

class ProgressReporter {
 public:
  using Clock = std::chrono::steady_clock;

  // `interactive`: whether `out` is a terminal (see is_terminal()).
  ProgressReporter(std::FILE* out, bool interactive,
                   std::chrono::milliseconds plain_interval = std::chrono::seconds(5));
  ~ProgressReporter();

  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Shows `status` ("compacting: 3 of 7 tables, 12 s"), rate-limited as described above.
  void update(std::string_view status);
  // Writes the final status as a whole line, unconditionally.
  void finish(std::string_view status);

  static bool is_terminal(std::FILE* out);

 private:
  std::FILE* out_;
  bool interactive_;
  std::chrono::milliseconds plain_interval_;
  Clock::time_point last_shown_{};
  bool shown_once_ = false;
  bool line_open_ = false;  // Interactive: a status line without a newline is on screen.
};

}  // namespace pairdb::admin
