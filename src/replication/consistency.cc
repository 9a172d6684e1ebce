#include <pairdb/replication/consistency.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "common/assert.h"

namespace pairdb::replication {
namespace {

struct LevelName {
  Consistency level;
  std::string_view name;
};

constexpr std::array<LevelName, 9> kLevelNames{{
    {Consistency::kDefault, "DEFAULT"},
    {Consistency::kOne, "ONE"},
    {Consistency::kTwo, "TWO"},
    {Consistency::kThree, "THREE"},
    {Consistency::kQuorum, "QUORUM"},
    {Consistency::kAll, "ALL"},
    {Consistency::kLocalOne, "LOCAL_ONE"},
    {Consistency::kLocalQuorum, "LOCAL_QUORUM"},
    {Consistency::kEachQuorum, "EACH_QUORUM"},
}};

}  // namespace

std::string_view consistency_name(Consistency level) {
  for (const auto& entry : kLevelNames) {
    if (entry.level == level) return entry.name;
  }
  return "UNKNOWN";
}

std::optional<Consistency> parse_consistency(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& entry : kLevelNames) {
    if (entry.name == upper) return entry.level;
  }
  return std::nullopt;
}

uint32_t required_replicas(Consistency level, uint32_t replicas) {
  PAIRDB_ASSERT(level != Consistency::kDefault);
  const uint32_t quorum = replicas / 2 + 1;
  switch (level) {
    case Consistency::kOne:
    case Consistency::kLocalOne:
      return 1;
    case Consistency::kTwo:
      return 2;
    case Consistency::kThree:
      return 3;
    case Consistency::kQuorum:
    case Consistency::kLocalQuorum:
    case Consistency::kEachQuorum:
      return quorum;
    case Consistency::kAll:
      return replicas;
    case Consistency::kDefault:
      break;
  }
  return replicas;
}

}  // namespace pairdb::replication
