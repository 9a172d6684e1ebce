// Derived figures and the child-to-parent line encoding of benchmark results.
#include "results.h"

#include <sstream>

#include <fmt/format.h>

namespace pairdb::bench {
namespace {

std::string one_line(char tag, std::string_view text) {
  std::string line = fmt::format("{} {}", tag, text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line + "\n";
}

bool decode_workload(std::istringstream& in, WorkloadResult& r) {
  in >> r.name >> r.ops >> r.elapsed_ns >> r.found >> r.background_writes >> r.user_bytes >>
      r.disk_bytes_written >> r.space_bytes >> r.peak_rss_bytes >> r.p50_ns >> r.p99_ns;
  return !in.fail();
}

bool decode_totals(std::istringstream& in, EngineTotals& t) {
  in >> t.user_bytes >> t.disk_bytes_written >> t.space_bytes >> t.peak_rss_bytes;
  return !in.fail();
}

std::string rest_of(std::string_view line) {
  return std::string(line.substr(line.size() > 1 ? 2 : 1));
}

}  // namespace

double WorkloadResult::ops_per_sec() const {
  if (elapsed_ns == 0) return 0;
  return static_cast<double>(ops) * 1e9 / static_cast<double>(elapsed_ns);
}

double WorkloadResult::micros_per_op() const {
  if (ops == 0) return 0;
  return static_cast<double>(elapsed_ns) / 1e3 / static_cast<double>(ops);
}

std::optional<double> WorkloadResult::write_amplification() const {
  if (user_bytes == 0 || disk_bytes_written < 0) return std::nullopt;
  return static_cast<double>(disk_bytes_written) / static_cast<double>(user_bytes);
}

std::optional<double> EngineTotals::write_amplification() const {
  if (user_bytes == 0 || disk_bytes_written < 0) return std::nullopt;
  return static_cast<double>(disk_bytes_written) / static_cast<double>(user_bytes);
}

const WorkloadResult* EngineReport::find(std::string_view workload) const {
  for (const WorkloadResult& result : workloads) {
    if (result.name == workload) return &result;
  }
  return nullptr;
}

std::string encode_workload(const WorkloadResult& r) {
  return fmt::format("W {} {} {} {} {} {} {} {} {} {} {}\n", r.name, r.ops, r.elapsed_ns, r.found,
                     r.background_writes, r.user_bytes, r.disk_bytes_written, r.space_bytes,
                     r.peak_rss_bytes, r.p50_ns, r.p99_ns);
}

std::string encode_totals(const EngineTotals& t) {
  return fmt::format("T {} {} {} {}\n", t.user_bytes, t.disk_bytes_written, t.space_bytes,
                     t.peak_rss_bytes);
}

std::string encode_note(std::string_view text) { return one_line('N', text); }
std::string encode_error(std::string_view text) { return one_line('X', text); }

bool decode_line(std::string_view line, EngineReport& report) {
  if (line.empty()) return false;
  std::istringstream in{std::string(line.substr(1))};
  switch (line[0]) {
    case 'W': {
      WorkloadResult result;
      if (!decode_workload(in, result)) return false;
      report.workloads.push_back(std::move(result));
      return true;
    }
    case 'T':
      return decode_totals(in, report.totals);
    case 'N':
      report.notes.push_back(rest_of(line));
      return true;
    case 'X':
      report.state = EngineState::kFailed;
      report.error = rest_of(line);
      return true;
    default:
      return false;
  }
}

}  // namespace pairdb::bench
