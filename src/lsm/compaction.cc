#include "lsm/compaction.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace pairdb::lsm {

namespace {
// An output file stops growing once it overlaps this many target-sized files of the
// grandparent level, so compacting it later never drags in too much.
constexpr uint64_t kGrandparentOverlapFactor = 10;

uint64_t total_bytes(const Version::FileList& files) {
  uint64_t total = 0;
  for (const auto& f : files) total += f->file_size;
  return total;
}
}  // namespace

Compaction::Compaction(std::shared_ptr<const Version> input_version, int level, int output_level,
                       const InternalKeyComparator* comparator, uint64_t target_file_bytes,
                       bool manual)
    : input_version_(std::move(input_version)),
      level_(level),
      output_level_(output_level),
      comparator_(comparator),
      target_file_bytes_(target_file_bytes),
      manual_(manual) {
  PAIRDB_ASSERT(level >= 0 && output_level < kNumLevels);
  PAIRDB_ASSERT(output_level == level || output_level == level + 1);
}

uint64_t Compaction::input_bytes() const {
  return total_bytes(inputs_[0]) + total_bytes(inputs_[1]);
}

bool Compaction::is_trivial_move() const {
  return !manual_ && output_level_ == level_ + 1 && inputs_[0].size() == 1 && inputs_[1].empty() &&
         total_bytes(grandparents_) <= kGrandparentOverlapFactor * target_file_bytes_;
}

bool Compaction::is_base_level_for_key(std::string_view user_key) {
  const Comparator* ucmp = comparator_->user_comparator();
  for (int level = output_level_ + 1; level < kNumLevels; ++level) {
    const Version::FileList& files = input_version_->files(level);
    size_t& cursor = level_cursor_[level];
    while (cursor < files.size() &&
           ucmp->compare(user_key, extract_user_key(files[cursor]->largest)) > 0) {
      ++cursor;
    }
    if (cursor < files.size() &&
        ucmp->compare(user_key, extract_user_key(files[cursor]->smallest)) >= 0) {
      return false;
    }
  }
  return true;
}

bool Compaction::should_stop_before(std::string_view internal_key) {
  while (grandparent_index_ < grandparents_.size() &&
         comparator_->compare(internal_key, grandparents_[grandparent_index_]->largest) > 0) {
    if (seen_key_) overlapped_bytes_ += grandparents_[grandparent_index_]->file_size;
    ++grandparent_index_;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > kGrandparentOverlapFactor * target_file_bytes_) {
    overlapped_bytes_ = 0;
    return true;
  }
  return false;
}

CompactionPicker::CompactionPicker(const Options& options, const InternalKeyComparator* comparator)
    : options_(options), comparator_(comparator) {}

uint64_t CompactionPicker::level_target_bytes(int level) const {
  PAIRDB_ASSERT(level >= 1);
  double target = static_cast<double>(options_.level1_target_bytes) *
                  std::pow(options_.level_size_multiplier, level - 1);
  return static_cast<uint64_t>(std::min(target, 1e19));
}

LevelScores CompactionPicker::scores(const Version& version) const {
  LevelScores out;
  const size_t l0_files = version.files(0).size();
  out.score[0] = static_cast<double>(l0_files) / options_.level0_compaction_trigger;
  if (l0_files >= static_cast<size_t>(options_.level0_compaction_trigger)) {
    out.pending_compaction_bytes += version.level_bytes(0) + version.level_bytes(1);
  }
  for (int level = 1; level < kNumLevels - 1; ++level) {
    uint64_t bytes = version.level_bytes(level);
    uint64_t target = level_target_bytes(level);
    out.score[level] = static_cast<double>(bytes) / static_cast<double>(target);
    if (bytes > target) {
      // The excess moves down a level and is merged with what it overlaps there.
      out.pending_compaction_bytes +=
          static_cast<uint64_t>((bytes - target) * (options_.level_size_multiplier + 1));
    }
  }
  double best = 1.0;
  for (int level = 0; level < kNumLevels - 1; ++level) {
    if (out.score[level] >= best) {
      best = out.score[level];
      out.best_level = level;
    }
  }
  return out;
}

Version::FileList CompactionPicker::overlapping(const Version& version, int level,
                                                std::string begin, std::string end,
                                                bool begin_unbounded, bool end_unbounded) const {
  const Comparator* ucmp = comparator_->user_comparator();
  const Version::FileList& files = version.files(level);
  Version::FileList out;
  for (size_t i = 0; i < files.size();) {
    std::string_view smallest = extract_user_key(files[i]->smallest);
    std::string_view largest = extract_user_key(files[i]->largest);
    if ((!end_unbounded && ucmp->compare(smallest, end) > 0) ||
        (!begin_unbounded && ucmp->compare(largest, begin) < 0)) {
      ++i;
      continue;
    }
    if (level == 0) {
      // Level-0 files overlap each other: widen the range and start over until stable.
      bool widened = false;
      if (!begin_unbounded && ucmp->compare(smallest, begin) < 0) {
        begin = std::string(smallest);
        widened = true;
      }
      if (!end_unbounded && ucmp->compare(largest, end) > 0) {
        end = std::string(largest);
        widened = true;
      }
      if (widened) {
        out.clear();
        i = 0;
        continue;
      }
    }
    out.push_back(files[i]);
    ++i;
  }
  return out;
}

void CompactionPicker::fill_output_and_grandparents(Compaction* c) const {
  const Version& version = *c->input_version_;
  auto range_of = [&](const Version::FileList& a, const Version::FileList& b) {
    std::string smallest, largest;
    for (const auto* list : {&a, &b}) {
      for (const auto& f : *list) {
        if (smallest.empty() || comparator_->compare(f->smallest, smallest) < 0) {
          smallest = f->smallest;
        }
        if (largest.empty() || comparator_->compare(f->largest, largest) > 0) {
          largest = f->largest;
        }
      }
    }
    return std::pair(std::string(extract_user_key(smallest)),
                     std::string(extract_user_key(largest)));
  };
  if (c->output_level_ != c->level_) {
    auto [begin, end] = range_of(c->inputs_[0], {});
    c->inputs_[1] = overlapping(version, c->output_level_, begin, end, false, false);
  }
  if (c->output_level_ + 1 < kNumLevels) {
    auto [begin, end] = range_of(c->inputs_[0], c->inputs_[1]);
    c->grandparents_ = overlapping(version, c->output_level_ + 1, begin, end, false, false);
  }
}

void CompactionPicker::request_read_compaction(int level, uint64_t number) {
  PAIRDB_ASSERT(level >= 0 && level < kNumLevels - 1);
  read_request_ = ReadRequest{level, number};
}

std::unique_ptr<Compaction> CompactionPicker::pick(std::shared_ptr<const Version> version) {
  LevelScores s = scores(*version);
  int level = s.best_level;
  std::optional<ReadRequest> for_reads;
  if (level < 0) {
    for_reads = std::exchange(read_request_, std::nullopt);
    if (!for_reads || !version->holds(for_reads->level, for_reads->number)) return nullptr;
    level = for_reads->level;
  }
  auto c = std::make_unique<Compaction>(version, level, level + 1, comparator_,
                                        options_.target_file_bytes);
  c->read_triggered_ = for_reads.has_value();
  const Version::FileList& files = version->files(level);
  if (level == 0) {
    c->inputs_[0] = files;
  } else if (for_reads) {
    for (const auto& file : files) {
      if (file->number == for_reads->number) c->inputs_[0].push_back(file);
    }
  } else {
    // Round-robin through the level's key space, so every key range is compacted in turn.
    auto it = std::find_if(files.begin(), files.end(), [&](const auto& f) {
      return compact_pointer_[level].empty() ||
             comparator_->compare(f->largest, compact_pointer_[level]) > 0;
    });
    c->inputs_[0].push_back(it == files.end() ? files.front() : *it);
  }
  fill_output_and_grandparents(c.get());
  compact_pointer_[level] = c->inputs_[0].back()->largest;
  return c;
}

std::unique_ptr<Compaction> CompactionPicker::pick_range(std::shared_ptr<const Version> version,
                                                         int level, int output_level,
                                                         const std::string* begin,
                                                         const std::string* end) {
  Version::FileList inputs =
      overlapping(*version, level, begin ? *begin : std::string(), end ? *end : std::string(),
                  begin == nullptr, end == nullptr);
  if (inputs.empty()) return nullptr;
  auto c = std::make_unique<Compaction>(std::move(version), level, output_level, comparator_,
                                        options_.target_file_bytes, /*manual=*/true);
  c->inputs_[0] = std::move(inputs);
  fill_output_and_grandparents(c.get());
  return c;
}

}  // namespace pairdb::lsm
