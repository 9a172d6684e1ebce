#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lsm/merging_iterator.h"

using pairdb::Status;
using pairdb::lsm::bytewise_comparator;
using pairdb::lsm::Iterator;
using pairdb::lsm::new_empty_iterator;
using pairdb::lsm::new_merging_iterator;

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// A child over a sorted vector (duplicate keys allowed). After `moves_before_error` positioning
// calls it fails: it becomes !valid() and reports an I/O error, as a table reader would on a bad
// block.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(Entries entries, int moves_before_error = -1)
      : entries_(std::move(entries)), moves_left_(moves_before_error) {
    REQUIRE(std::is_sorted(entries_.begin(), entries_.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; }));
  }

  bool valid() const override { return failed_.is_ok() && pos_ < entries_.size(); }
  void seek_to_first() override { move_to(0); }
  void seek_to_last() override {
    move_to(entries_.empty() ? entries_.size() : entries_.size() - 1);
  }
  void seek(std::string_view target) override {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                               [](const auto& e, std::string_view t) { return e.first < t; });
    move_to(it - entries_.begin());
  }
  void next() override {
    REQUIRE(valid());
    move_to(pos_ + 1);
  }
  void prev() override {
    REQUIRE(valid());
    move_to(pos_ == 0 ? entries_.size() : pos_ - 1);
  }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return failed_; }

 private:
  void move_to(size_t pos) {
    pos_ = pos;
    if (moves_left_ == 0) failed_ = Status::io_error("injected read failure");
    if (moves_left_ > 0) --moves_left_;
  }

  Entries entries_;
  size_t pos_ = 0;
  int moves_left_;  // Negative: never fail.
  Status failed_;
};

std::unique_ptr<Iterator> child(Entries entries, int moves_before_error = -1) {
  return std::make_unique<VectorIterator>(std::move(entries), moves_before_error);
}

std::unique_ptr<Iterator> merge(std::vector<std::unique_ptr<Iterator>> children) {
  return new_merging_iterator(bytewise_comparator(), std::move(children));
}

template <typename... Children>
std::unique_ptr<Iterator> merge_of(Children... children) {
  std::vector<std::unique_ptr<Iterator>> list;
  (list.push_back(std::move(children)), ...);
  return merge(std::move(list));
}

enum class Pass { kForward, kBackward };
enum class Part { kKeys, kValues };

// The keys or the values of every entry, concatenated in the order a full pass visits them:
// forward from the first entry or backward from the last.
std::string concatenated(Iterator& it, Pass pass, Part part) {
  std::string out;
  if (pass == Pass::kForward) {
    it.seek_to_first();
  } else {
    it.seek_to_last();
  }
  while (it.valid()) {
    out += part == Part::kKeys ? it.key() : it.value();
    if (pass == Pass::kForward) {
      it.next();
    } else {
      it.prev();
    }
  }
  return out;
}

}  // namespace

TEST_CASE("new_empty_iterator is never valid and reports its status", "[merging_iterator]") {
  auto ok = new_empty_iterator();
  ok->seek_to_first();
  REQUIRE_FALSE(ok->valid());
  REQUIRE(ok->status().is_ok());
  auto failed = new_empty_iterator(Status::corruption("bad manifest"));
  failed->seek("k");
  REQUIRE_FALSE(failed->valid());
  REQUIRE(failed->status().is_corruption());
  REQUIRE(failed->status().message() == "bad manifest");
}

TEST_CASE("merging no children yields an empty OK iterator", "[merging_iterator]") {
  auto merged = merge({});
  merged->seek_to_first();
  REQUIRE_FALSE(merged->valid());
  merged->seek_to_last();
  REQUIRE_FALSE(merged->valid());
  REQUIRE(merged->status().is_ok());
}

TEST_CASE("merging one child returns that child unwrapped", "[merging_iterator]") {
  auto only = child({{"a", "1"}});
  Iterator* raw = only.get();
  auto merged = merge_of(std::move(only));
  REQUIRE(merged.get() == raw);
}

TEST_CASE("merging interleaves children in key order", "[merging_iterator]") {
  auto merged = merge_of(child({{"a", "0"}, {"d", "0"}}), child({{"b", "1"}, {"e", "1"}}),
                         child({{"c", "2"}}));
  REQUIRE(concatenated(*merged, Pass::kForward, Part::kKeys) == "abcde");
  REQUIRE(concatenated(*merged, Pass::kBackward, Part::kKeys) == "edcba");
}

TEST_CASE("merging yields equal keys lower child first forward and mirrored backward",
          "[merging_iterator]") {
  auto merged = merge_of(child({{"k", "0"}}), child({{"k", "1"}}), child({{"k", "2"}}));
  REQUIRE(concatenated(*merged, Pass::kForward, Part::kValues) == "012");
  REQUIRE(concatenated(*merged, Pass::kBackward, Part::kValues) == "210");
}

TEST_CASE("merging changes direction among equal keys without skipping or repeating",
          "[merging_iterator]") {
  auto merged = merge_of(child({{"j", "0j"}, {"k", "0k"}}), child({{"k", "1k"}}),
                         child({{"k", "2k"}, {"l", "2l"}}));
  merged->seek("k");
  REQUIRE(merged->value() == "0k");
  merged->next();
  REQUIRE(merged->value() == "1k");
  merged->prev();  // Reverse at a tie: back to the lower child.
  REQUIRE(merged->value() == "0k");
  merged->next();  // Forward again: the middle child, not a repeat or a skip.
  REQUIRE(merged->value() == "1k");
  merged->next();
  REQUIRE(merged->value() == "2k");
  merged->prev();
  REQUIRE(merged->value() == "1k");
  merged->prev();
  REQUIRE(merged->value() == "0k");
  merged->prev();
  REQUIRE(merged->value() == "0j");
}

namespace {

using Model = std::multimap<std::string, std::string>;

std::string random_key(std::mt19937_64& rng) {
  static constexpr std::string_view kAlphabet = "abcd";
  std::string key(rng() % 3, ' ');  // Lengths 0-2: many duplicates, some empty keys.
  for (char& c : key) c = kAlphabet[rng() % kAlphabet.size()];
  return key;
}

// Builds 2-6 random children (duplicate keys within and across them) and records every entry
// in *model. Children are added to the model in child order, and a multimap keeps equal keys
// in insertion order, which is exactly the merge's tie order.
std::vector<std::unique_ptr<Iterator>> random_children(std::mt19937_64& rng, Model* model) {
  std::vector<std::unique_ptr<Iterator>> children;
  const int child_count = 2 + static_cast<int>(rng() % 5);
  for (int c = 0; c < child_count; ++c) {
    Entries entries;
    const int entry_count = static_cast<int>(rng() % 12);
    for (int i = 0; i < entry_count; ++i) entries.emplace_back(random_key(rng), "");
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].second = "c" + std::to_string(c) + "#" + std::to_string(i);
      model->emplace(entries[i].first, entries[i].second);
    }
    children.push_back(child(std::move(entries)));
  }
  return children;
}

// Applies one random operation to both the merged iterator and the model position.
void random_step(std::mt19937_64& rng, const Model& model, Iterator* merged,
                 Model::const_iterator* expected) {
  const int op = static_cast<int>(rng() % 10);
  if (op == 0) {
    merged->seek_to_first();
    *expected = model.begin();
  } else if (op == 1) {
    merged->seek_to_last();
    *expected = model.empty() ? model.end() : std::prev(model.end());
  } else if (op == 2) {
    const std::string target = random_key(rng);
    merged->seek(target);
    *expected = model.lower_bound(target);
  } else if (op <= 6 && merged->valid()) {
    merged->next();
    ++*expected;
  } else if (op > 6 && merged->valid()) {
    merged->prev();
    *expected = *expected == model.begin() ? model.end() : std::prev(*expected);
  }
}

}  // namespace

TEST_CASE("merging matches a multimap model under random seeks, nexts and prevs",
          "[merging_iterator]") {
  constexpr uint64_t kBaseSeed = 424242;
  constexpr int kRounds = 60;
  constexpr int kStepsPerRound = 400;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t seed = kBaseSeed + round;
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    Model model;
    auto merged = merge(random_children(rng, &model));
    Model::const_iterator expected = model.end();
    for (int step = 0; step < kStepsPerRound; ++step) {
      CAPTURE(step);
      random_step(rng, model, merged.get(), &expected);
      REQUIRE(merged->valid() == (expected != model.end()));
      if (expected != model.end()) {
        REQUIRE(merged->key() == expected->first);
        REQUIRE(merged->value() == expected->second);
      }
    }
    REQUIRE(merged->status().is_ok());
  }
}

TEST_CASE("merging stops and reports the error when a child fails", "[merging_iterator]") {
  // The second child fails on its fourth positioning call, part way through the scan.
  auto merged = merge_of(child({{"a", ""}, {"c", ""}, {"e", ""}, {"g", ""}}),
                         child({{"b", ""}, {"d", ""}, {"f", ""}, {"h", ""}}, 3));
  int seen = 0;
  for (merged->seek_to_first(); merged->valid() && seen < 100; merged->next()) ++seen;
  REQUIRE_FALSE(merged->valid());
  REQUIRE(seen < 8);
  REQUIRE(merged->status().is_io_error());
}

TEST_CASE("merging with a failed child is not valid after any seek", "[merging_iterator]") {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(child({{"a", "1"}}));
  children.push_back(new_empty_iterator(Status::corruption("bad table")));
  auto merged = merge(std::move(children));
  merged->seek_to_first();
  REQUIRE_FALSE(merged->valid());
  merged->seek("a");
  REQUIRE_FALSE(merged->valid());
  merged->seek_to_last();
  REQUIRE_FALSE(merged->valid());
  REQUIRE(merged->status().is_corruption());
}

TEST_CASE("merging status is the first non-OK status in child order", "[merging_iterator]") {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(child({{"a", "1"}}));
  children.push_back(new_empty_iterator(Status::io_error("first")));
  children.push_back(new_empty_iterator(Status::corruption("second")));
  auto merged = merge(std::move(children));
  merged->seek_to_first();
  REQUIRE(merged->status().is_io_error());
  REQUIRE(merged->status().message() == "first");
}
