#include "repair_bench/report.h"

#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "shared/json_writer.h"

namespace pairdb::bench {

namespace {

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

std::string bytes_text(uint64_t bytes) {
  if (bytes < 10 * 1024) return fmt::format("{} B", bytes);
  if (bytes < 10 * 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024 * 1024));
}

std::string percent_text(double fraction) {
  if (fraction == 0) return "0 %";
  if (fraction < 0.001) return fmt::format("{:.4f} %", 100 * fraction);
  return fmt::format("{:.2f} %", 100 * fraction);
}

double bytes_share(const LevelResult& level) {
  if (level.load.peer_bytes == 0) return 0;
  return static_cast<double>(level.run.traffic.total_bytes()) /
         static_cast<double>(level.load.peer_bytes);
}

// NaN when nothing diverged.
double divergent_ratio(const LevelResult& level) {
  if (level.load.divergent_bytes == 0) return std::nan("");
  return static_cast<double>(level.run.traffic.total_bytes()) /
         static_cast<double>(level.load.divergent_bytes);
}

bool is_target_level(double fraction) {
  return std::abs(fraction - kTargetDivergentFraction) < 1e-12;
}

std::string check_text(const LevelResult& level) {
  if (!level.run.status.is_ok()) return "FAIL (repair: " + level.run.status.to_string() + ")";
  if (!level.verify.passed()) {
    return fmt::format("FAIL ({} mismatches; first: {})", level.verify.mismatches,
                       level.verify.first_mismatch);
  }
  return "PASS";
}

void print_bytes_table(const std::vector<LevelResult>& levels) {
  fmt::print(
      "| divergent | records (initiator / peer) | data size | divergent keys (missing / newer / "
      "concurrent) | divergent size | records differing | fetched | pushed | changed here / "
      "on peer | bytes exchanged | bytes / data size | bytes / divergent size | target | check "
      "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
  for (const LevelResult& l : levels) {
    const auto& kinds = l.load.keys_by_kind;
    const auto& s = l.run.stats;
    const double ratio = divergent_ratio(l);
    fmt::print(
        "| {} % | {} / {} | {} | {} ({} / {} / {}) | {} | {} | {} | {} | {} / {} | {} | {} "
        "| {} | {} | {} |\n",
        100 * l.divergent_fraction, with_commas(l.load.initiator_records),
        with_commas(l.load.peer_records), bytes_text(l.load.peer_bytes),
        with_commas(l.load.divergent_keys),
        with_commas(kinds[static_cast<size_t>(Divergence::kMissingOnInitiator)]),
        with_commas(kinds[static_cast<size_t>(Divergence::kNewerOnPeer)]),
        with_commas(kinds[static_cast<size_t>(Divergence::kConcurrentOnPeer)]),
        bytes_text(l.load.divergent_bytes), with_commas(s.records_differing),
        with_commas(s.records_fetched), with_commas(s.records_pushed),
        with_commas(s.records_changed_here), with_commas(s.records_changed_peers),
        bytes_text(l.run.traffic.total_bytes()), percent_text(bytes_share(l)),
        std::isnan(ratio) ? "-" : fmt::format("{:.2f}x", ratio), target_verdict(l), check_text(l));
  }
}

void print_time_table(const std::vector<LevelResult>& levels) {
  fmt::print(
      "\n| divergent | wall s | CPU s | initiator tree s | peer tree s | initiator rest s | peer "
      "rest s | tree depth | leaves differing | requests | load s | verify s |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const LevelResult& l : levels) {
    const RepairTimes& t = l.run.times;
    uint64_t requests = 0;
    for (uint64_t n : l.run.traffic.requests) requests += n;
    fmt::print(
        "| {} % | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {} | {} | {} | {:.1f} | "
        "{:.1f} |\n",
        100 * l.divergent_fraction, t.wall, t.cpu, t.initiator_tree, t.peer_tree, t.initiator_rest,
        t.peer_rest, l.run.depth, with_commas(l.run.stats.leaves_differing), with_commas(requests),
        l.load_seconds, l.verify_seconds);
  }
}

void print_traffic_table(const std::vector<LevelResult>& levels) {
  fmt::print("\n| divergent |");
  for (size_t k = 0; k < kRepairMessageKinds; ++k) {
    fmt::print(" {} (requests, out / back) |",
               repair_message_kind_name(static_cast<RepairMessageKind>(k)));
  }
  fmt::print("\n|---|");
  for (size_t k = 0; k < kRepairMessageKinds; ++k) fmt::print("---:|");
  fmt::print("\n");
  for (const LevelResult& l : levels) {
    fmt::print("| {} % |", 100 * l.divergent_fraction);
    const RepairTraffic& t = l.run.traffic;
    for (size_t k = 0; k < kRepairMessageKinds; ++k) {
      fmt::print(" {}, {} / {} |", with_commas(t.requests[k]), bytes_text(t.request_bytes[k]),
                 bytes_text(t.reply_bytes[k]));
    }
    fmt::print("\n");
  }
}

}  // namespace

bool target_missed(const LevelResult& level) { return target_verdict(level).starts_with("missed"); }

std::string target_verdict(const LevelResult& level) {
  if (level.divergent_fraction == 0) {
    const bool met = bytes_share(level) < kIdenticalBytesShareMax;
    return fmt::format("{} (< {:g} % of data)", met ? "met" : "missed",
                       100 * kIdenticalBytesShareMax);
  }
  if (is_target_level(level.divergent_fraction)) {
    const bool met = divergent_ratio(level) <= kDivergentBytesRatioMax;
    return fmt::format("{} (<= {:g}x)", met ? "met" : "missed", kDivergentBytesRatioMax);
  }
  return "-";
}

void print_report(const ReportHeader& header, const std::vector<LevelResult>& levels) {
  fmt::print("\npairdb-repair-bench: {} keys, {} B values, seed {}\n  {}\n\n",
             with_commas(header.keys), header.value_bytes, header.seed, header.command);
  print_bytes_table(levels);
  print_time_table(levels);
  print_traffic_table(levels);
}

Status write_json_report(const std::string& path, const ReportHeader& header,
                         const std::vector<LevelResult>& levels) {
  JsonWriter json;
  json.begin_object().key("keys").value(header.keys).key("value_bytes");
  json.value(static_cast<uint64_t>(header.value_bytes)).key("seed").value(header.seed);
  json.key("command").value(header.command).key("levels").begin_array();
  for (const LevelResult& l : levels) {
    const auto& s = l.run.stats;
    const RepairTimes& t = l.run.times;
    json.begin_object().key("divergent_fraction").value(l.divergent_fraction);
    json.key("initiator_records").value(l.load.initiator_records);
    json.key("peer_records").value(l.load.peer_records).key("data_bytes").value(l.load.peer_bytes);
    json.key("divergent_keys").value(l.load.divergent_keys);
    json.key("divergent_bytes").value(l.load.divergent_bytes);
    json.key("records_differing").value(s.records_differing);
    json.key("records_fetched").value(s.records_fetched);
    json.key("records_pushed").value(s.records_pushed);
    json.key("records_changed_here").value(s.records_changed_here);
    json.key("records_changed_peer").value(s.records_changed_peers);
    json.key("leaves_differing").value(s.leaves_differing);
    json.key("tree_depth").value(static_cast<uint64_t>(l.run.depth));
    json.key("bytes_exchanged").value(l.run.traffic.total_bytes());
    json.key("bytes_sent").value(s.bytes_sent).key("bytes_received").value(s.bytes_received);
    json.key("wall_s").value(t.wall).key("cpu_s").value(t.cpu);
    json.key("initiator_tree_s").value(t.initiator_tree).key("peer_tree_s").value(t.peer_tree);
    json.key("initiator_rest_s").value(t.initiator_rest).key("peer_rest_s").value(t.peer_rest);
    json.key("target").value(target_verdict(l));
    json.key("check").value(check_text(l)).key("passed");
    json.value(l.run.status.is_ok() && l.verify.passed()).end_object();
  }
  json.end_array().end_object();
  std::ofstream file(path);
  file << json.str() << '\n';
  if (!file) return Status::io_error(fmt::format("cannot write {}", path));
  return Status::ok();
}

}  // namespace pairdb::bench
