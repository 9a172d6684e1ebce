// Parsing of pairdb-bench's --workload.
#include "workload_mix.h"

#include <array>
#include <cctype>
#include <charconv>
#include <optional>

namespace pairdb::bench {
namespace {

std::optional<uint64_t> parse_count(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// YCSB's core workloads, by their letter: the share of operations that are reads.
struct LetterMix {
  char letter;
  double read_fraction;
};
constexpr std::array<LetterMix, 4> kLetterMixes = {{
    {'A', 0.50},
    {'B', 0.95},
    {'C', 1.0},
    {'W', 0.0},
}};

}  // namespace

Result<WorkloadMix> parse_workload(std::string_view text) {
  if (text.size() == 1) {
    const char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    for (const LetterMix& mix : kLetterMixes) {
      if (mix.letter == letter) return WorkloadMix{std::string(1, letter), mix.read_fraction};
    }
  }
  const size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    const auto reads = parse_count(text.substr(0, colon));
    const auto writes = parse_count(text.substr(colon + 1));
    if (reads && writes && *reads + *writes > 0) {
      return WorkloadMix{std::string(text),
                         static_cast<double>(*reads) / static_cast<double>(*reads + *writes)};
    }
  }
  return Status::invalid_argument("unknown workload '" + std::string(text) +
                                  "' (expected A, B, C, W or a read:write ratio such as 90:10)");
}

}  // namespace pairdb::bench
