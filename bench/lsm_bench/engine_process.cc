// The fork/pipe plumbing between pairdb-lsm-bench and one engine's child process.
#include "engine_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "engine.h"
#include "process_stats.h"

namespace pairdb::bench {
namespace {

// Writes all of text to fd; the parent reads whole lines.
void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // The parent is gone; nobody is left to tell.
    text.remove_prefix(static_cast<size_t>(n));
  }
}

EngineTotals measure_totals(const std::vector<WorkloadResult>& results, const std::string& dir,
                            std::optional<uint64_t> written_at_start) {
  EngineTotals totals;
  for (const WorkloadResult& r : results) {
    totals.user_bytes += r.user_bytes;
    totals.peak_rss_bytes = std::max(totals.peak_rss_bytes, r.peak_rss_bytes);
  }
  std::optional<uint64_t> written = process_bytes_written();
  if (written && written_at_start) {
    totals.disk_bytes_written = static_cast<int64_t>(*written - *written_at_start);
  }
  totals.space_bytes = static_cast<int64_t>(directory_bytes(dir));
  std::optional<uint64_t> peak = peak_rss_bytes();
  if (peak) totals.peak_rss_bytes = std::max(totals.peak_rss_bytes, static_cast<int64_t>(*peak));
  return totals;
}

// The child's whole life: run the workloads, report each as it completes, then the totals.
// Nothing is written to the pipe while a workload is being measured.
int child_main(const BenchConfig& config, const EngineRunSpec& spec, int fd) {
  const std::optional<uint64_t> written_at_start = process_bytes_written();
  std::unique_ptr<Engine> engine = make_engine(spec.engine);
  WorkloadRunner runner(config, *engine, spec.dir);
  std::vector<WorkloadResult> results;
  bool noted_engine = false;
  for (const std::string& workload : spec.workloads) {
    Result<WorkloadResult> result = runner.run(workload);
    for (const std::string& note : runner.take_notes()) write_all(fd, encode_note(note));
    if (!result.is_ok()) {
      write_all(fd, encode_error(result.status().to_string()));
      return 1;
    }
    if (!noted_engine) {
      for (const std::string& note : engine->notes()) write_all(fd, encode_note(note));
      noted_engine = true;
    }
    write_all(fd, encode_workload(*result));
    results.push_back(std::move(*result));
  }
  std::string stats = spec.print_stats && !results.empty() ? engine->native_stats() : "";
  Status finished = runner.finish();
  if (!finished.is_ok()) {
    write_all(fd, encode_error("finish: " + finished.to_string()));
    return 1;
  }
  write_all(fd, encode_totals(measure_totals(results, spec.dir, written_at_start)));
  if (!stats.empty()) fmt::print(stderr, "--- {} stats ---\n{}\n", spec.engine, stats);
  return 0;
}

void print_progress(const EngineReport& report) {
  if (report.workloads.empty()) return;
  const WorkloadResult& r = report.workloads.back();
  fmt::print(stderr, "  {:<8} {:<20} {:>12.0f} ops/s {:>9.3f} us/op\n", report.engine, r.name,
             r.ops_per_sec(), r.micros_per_op());
}

// Reads the child's lines into report until the child closes its end.
void read_child_lines(int fd, EngineReport& report) {
  FILE* in = ::fdopen(fd, "r");
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = ::getline(&line, &capacity, in)) > 0) {
    std::string_view text(line, static_cast<size_t>(length));
    if (text.back() == '\n') text.remove_suffix(1);
    const size_t workloads_before = report.workloads.size();
    if (!decode_line(text, report)) {
      report.notes.push_back(fmt::format("unparsable line from child: {}", text));
    }
    if (report.workloads.size() > workloads_before) print_progress(report);
  }
  std::free(line);
  std::fclose(in);
}

}  // namespace

EngineReport run_engine_process(const BenchConfig& config, const EngineRunSpec& spec) {
  EngineReport report;
  report.engine = spec.engine;
  if (make_engine(spec.engine) == nullptr) {
    report.state = EngineState::kAbsent;
    return report;
  }
  int fds[2];
  if (::pipe(fds) != 0) {
    report.state = EngineState::kFailed;
    report.error = fmt::format("pipe: {}", std::strerror(errno));
    return report;
  }
  std::fflush(nullptr);  // The child must not flush the parent's buffered output again.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int code = child_main(config, spec, fds[1]);
    ::close(fds[1]);
    if (!spec.keep) {
      std::error_code ec;
      std::filesystem::remove_all(spec.dir, ec);
    }
    std::fflush(nullptr);
    ::_exit(code);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    report.state = EngineState::kFailed;
    report.error = fmt::format("fork: {}", std::strerror(errno));
    return report;
  }
  read_child_lines(fds[0], report);
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  const bool clean_exit = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (!clean_exit && report.state == EngineState::kOk) {
    report.state = EngineState::kFailed;
    report.error = WIFSIGNALED(wait_status)
                       ? fmt::format("child killed by signal {}", WTERMSIG(wait_status))
                       : fmt::format("child exited with code {}", WEXITSTATUS(wait_status));
  }
  return report;
}

}  // namespace pairdb::bench
