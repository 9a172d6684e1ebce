#include "replication/range_merge.h"

#include <map>

#include "common/assert.h"

namespace pairdb::replication {

RangePage merge_range_pages(const std::vector<RangePage>& pages, ConflictMode mode) {
  // The merged page may speak only for keys every page covered.
  const std::string* limit = nullptr;
  for (const RangePage& page : pages) {
    if (page.resume_after && (limit == nullptr || *page.resume_after < *limit)) {
      limit = &*page.resume_after;
    }
  }
  std::map<std::string, VersionRecord> merged;
  for (const RangePage& page : pages) {
    for (const RangeEntry& entry : page.entries) {
      if (limit != nullptr && entry.sort_key > *limit) break;
      auto [it, inserted] = merged.try_emplace(entry.sort_key, entry.record);
      if (!inserted) it->second = merge(it->second, entry.record, mode);
    }
  }
  RangePage out;
  out.entries.reserve(merged.size());
  for (auto& [sort_key, record] : merged) out.entries.push_back({sort_key, std::move(record)});
  if (limit != nullptr) out.resume_after = *limit;
  PAIRDB_DASSERT(out.entries.empty() || !out.resume_after ||
                 out.entries.back().sort_key <= *out.resume_after);
  return out;
}

}  // namespace pairdb::replication
