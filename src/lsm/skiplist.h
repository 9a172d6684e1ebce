// SkipList: the ordered in-memory index behind a memtable.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "common/assert.h"
#include "lsm/arena.h"

namespace pairdb::lsm {

// A sorted set of keys whose nodes live in an Arena and are never removed, so a reader holding
// a node pointer can keep using it for as long as the arena lives.
//
// Threads: insert() must be serialised externally (one writer at a time). contains() and
// Iterator take no locks and may run on any number of threads concurrently with the writer. The
// writer fills in a node completely, including its outgoing links, before a release store links
// it into each level; readers follow links with acquire loads. A reader therefore sees each
// node either not at all or fully built, and never blocks the writer.
//
// Key is copied into its node and must be trivially destructible (nodes are never destroyed);
// whatever it points to must stay unchanged for the life of the list. Compare is called as
// `int compare(const Key& a, const Key& b) const`, returns <0, 0 or >0, and must be a
// thread-safe total order.
//
// Invariants: at each level the linked nodes are strictly increasing under compare_; a node
// linked at level i is linked at every level below i; max_height_ never decreases.
template <typename Key, class Compare>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;
  // Each level holds about 1/kBranching of the nodes of the level below.
  static constexpr uint32_t kBranching = 4;
  static constexpr uint64_t kDefaultSeed = 0x5eed5eed5eed5eedULL;
  static_assert(std::is_trivially_destructible_v<Key>, "nodes are never destroyed");

  // `arena` must outlive the list. `seed` fixes the sequence of node heights, so a run with the
  // same seed and the same inserts builds the same shape.
  SkipList(Compare compare, Arena* arena, uint64_t seed = kDefaultSeed);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: no key comparing equal to `key` is in the list.
  // REQUIRES: no other insert() runs concurrently.
  void insert(const Key& key);

  // A two-step insert for a list of byte-string keys (Key = const char*) that lays the key's
  // bytes out right after its node's links, in one arena allocation. A search compares against
  // each node it passes, and a short node's links and the start of its key then share a cache
  // line: one miss per node instead of two when the key lives elsewhere (the memtable's search
  // is dominated by these misses). reserve() draws the node's height and returns `bytes` of
  // storage for the key, which the caller fills before insert_reserved() links the node.
  // REQUIRES: the writer (as insert()); the filled key meets insert()'s requirement.
  struct Reservation {
    Node* node = nullptr;
    int height = 0;
    char* bytes = nullptr;
  };
  Reservation reserve(size_t bytes) requires std::is_same_v<Key, const char*>;
  void insert_reserved(const Reservation& reservation);

  // True when a key comparing equal to `key` is in the list. Safe concurrently with insert().
  bool contains(const Key& key) const;

  // A cursor over the list. Not thread-safe itself, but any number of iterators may be used on
  // different threads concurrently with insert(). Keys inserted after the iterator was
  // positioned may or may not be seen by later moves.
  class Iterator {
   public:
    // Starts !valid(). `list` must outlive the iterator.
    explicit Iterator(const SkipList* list) : list_(list) {}

    bool valid() const { return node_ != nullptr; }
    // REQUIRES: valid()
    const Key& key() const;
    // REQUIRES: valid()
    void next();
    // REQUIRES: valid()
    void prev();
    // Positions at the first key >= target.
    void seek(const Key& target);
    // Positions at the last key <= target.
    void seek_for_prev(const Key& target);
    void seek_to_first();
    void seek_to_last();

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  // Laid out as the Node followed by `height` std::atomic<Node*> links (level 0 first), all in
  // one arena allocation. The links sit after the struct, rather than in a one-element array
  // member indexed past its end, so no access is out of bounds.
  struct alignas(std::atomic<Node*>) Node {
    explicit Node(const Key& k) : key(k) {}

    std::atomic<Node*>* link(int level) {
      char* base = reinterpret_cast<char*>(this) + sizeof(Node);
      return std::launder(reinterpret_cast<std::atomic<Node*>*>(base) + level);
    }
    // Acquire: the node we get back is fully built.
    Node* next(int level) { return link(level)->load(std::memory_order_acquire); }
    // Release: publishes the node `n` (built before this call) to readers.
    void set_next(int level, Node* n) { link(level)->store(n, std::memory_order_release); }
    // For the writer only, on links no reader can see yet or that only it writes.
    Node* next_relaxed(int level) { return link(level)->load(std::memory_order_relaxed); }
    void set_next_relaxed(int level, Node* n) { link(level)->store(n, std::memory_order_relaxed); }

    const Key key;
  };

  // `extra_bytes` more are allocated right after the links (see reserve()).
  Node* new_node(const Key& key, int height, size_t extra_bytes = 0);
  // Links `x` (of `height`) in at its place. REQUIRES: the writer; x's key is not in the list.
  void link_in(Node* x, int height);
  int random_height();
  uint64_t next_random();
  int max_height() const { return max_height_.load(std::memory_order_relaxed); }
  bool equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }

  // Returns the first node >= key, or null. When `prev` is non-null, fills prev[level] with the
  // last node < key at every level below max_height().
  Node* find_greater_or_equal(const Key& key, Node** prev) const;
  // Returns the last node < key, or head_ when there is none.
  Node* find_less_than(const Key& key) const;
  // Returns the last node, or head_ when the list is empty.
  Node* find_last() const;
  // Returns the last node for which before(node) holds, or head_ when there is none: descends
  // from the top level, moving right while the next node is before. REQUIRES: before holds for
  // a prefix of the list and for no node after it.
  template <class Before>
  Node* find_last_before(Before before) const;

  const Compare compare_;
  Arena* const arena_;
  Node* const head_;                // Sentinel; its key is never compared.
  std::atomic<int> max_height_{1};  // Written by the writer only; read relaxed by anyone.
  uint64_t rng_state_;              // Writer only.
};

template <typename Key, class Compare>
SkipList<Key, Compare>::SkipList(Compare compare, Arena* arena, uint64_t seed)
    : compare_(compare), arena_(arena), head_(new_node(Key{}, kMaxHeight)), rng_state_(seed) {
  PAIRDB_ASSERT(arena_ != nullptr);
  for (int level = 0; level < kMaxHeight; ++level) {
    PAIRDB_ASSERT(head_->next_relaxed(level) == nullptr);
  }
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::new_node(const Key& key, int height,
                                                                        size_t extra_bytes) {
  PAIRDB_ASSERT(height >= 1);
  PAIRDB_ASSERT(height <= kMaxHeight);
  static_assert(sizeof(Node) % alignof(std::atomic<Node*>) == 0);
  static_assert(alignof(Node) <= Arena::kAlignBytes);
  const size_t bytes = sizeof(Node) + sizeof(std::atomic<Node*>) * height + extra_bytes;
  char* memory = arena_->allocate_aligned(bytes);
  Node* node = new (memory) Node(key);
  for (int level = 0; level < height; ++level) {
    new (memory + sizeof(Node) + sizeof(std::atomic<Node*>) * level) std::atomic<Node*>(nullptr);
  }
  return node;
}

// splitmix64: a tiny, well-mixed generator. Owning it keeps heights deterministic per list.
template <typename Key, class Compare>
uint64_t SkipList<Key, Compare>::next_random() {
  rng_state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = rng_state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename Key, class Compare>
int SkipList<Key, Compare>::random_height() {
  // One draw has enough entropy for every level: 11 base-4 digits use 22 of its 64 bits.
  static_assert(kBranching >= 2 && kBranching <= 16);
  uint64_t bits = next_random();
  int height = 1;
  while (height < kMaxHeight && bits % kBranching == 0) {
    ++height;
    bits /= kBranching;
  }
  PAIRDB_ASSERT(height <= kMaxHeight);
  return height;
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::find_greater_or_equal(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = max_height() - 1;
  // The node that stopped the descent on the level above: when the next level leads to it
  // again, it is known to be >= key without comparing (and touching its cold entry) again.
  const Node* known_not_less = nullptr;
  while (true) {
    Node* next = x->next(level);
    if (next != nullptr && next != known_not_less && compare_(next->key, key) < 0) {
      x = next;  // Still before key: move right on this level.
      continue;
    }
    known_not_less = next;
    if (prev != nullptr) prev[level] = x;
    if (level == 0) {
      PAIRDB_DASSERT(next == nullptr || compare_(next->key, key) >= 0);
      return next;
    }
    --level;
  }
}

template <typename Key, class Compare>
template <class Before>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::find_last_before(
    Before before) const {
  Node* x = head_;
  int level = max_height() - 1;
  while (true) {
    Node* next = x->next(level);
    if (next != nullptr && before(next)) {
      x = next;
    } else if (level == 0) {
      return x;
    } else {
      --level;
    }
  }
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::find_less_than(
    const Key& key) const {
  Node* x = find_last_before([&](const Node* next) { return compare_(next->key, key) < 0; });
  PAIRDB_DASSERT(x == head_ || compare_(x->key, key) < 0);
  return x;
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Node* SkipList<Key, Compare>::find_last() const {
  return find_last_before([](const Node*) { return true; });
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::insert(const Key& key) {
  const int height = random_height();
  link_in(new_node(key, height), height);
}

template <typename Key, class Compare>
typename SkipList<Key, Compare>::Reservation SkipList<Key, Compare>::reserve(
    size_t bytes) requires std::is_same_v<Key, const char*> {
  Reservation reservation;
  reservation.height = random_height();
  // The key's storage starts where the links end; the node is built pointing at it.
  const size_t links = sizeof(Node) + sizeof(std::atomic<Node*>) * reservation.height;
  reservation.node = new_node(nullptr, reservation.height, bytes);
  reservation.bytes = reinterpret_cast<char*>(reservation.node) + links;
  reservation.node = new (reservation.node) Node(reservation.bytes);
  return reservation;
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::insert_reserved(const Reservation& reservation) {
  PAIRDB_ASSERT(reservation.node != nullptr && reservation.node->key == reservation.bytes);
  link_in(reservation.node, reservation.height);
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::link_in(Node* x, int height) {
  Node* prev[kMaxHeight];
  Node* const at = find_greater_or_equal(x->key, prev);
  PAIRDB_ASSERT(at == nullptr || !equal(x->key, at->key));  // Duplicate keys are a caller bug.

  const int old_height = max_height();
  if (height > old_height) {
    for (int level = old_height; level < height; ++level) prev[level] = head_;
    // A reader that sees the new height before the links below simply finds null at head_ on
    // the new levels and drops down, so relaxed ordering suffices.
    max_height_.store(height, std::memory_order_relaxed);
  }

  for (int level = 0; level < height; ++level) {
    // x is not yet visible, so its own links need no ordering; the release store into prev
    // publishes x together with the links set so far.
    x->set_next_relaxed(level, prev[level]->next_relaxed(level));
    prev[level]->set_next(level, x);
  }
}

template <typename Key, class Compare>
bool SkipList<Key, Compare>::contains(const Key& key) const {
  Node* x = find_greater_or_equal(key, nullptr);
  return x != nullptr && equal(key, x->key);
}

template <typename Key, class Compare>
const Key& SkipList<Key, Compare>::Iterator::key() const {
  PAIRDB_DASSERT(valid());
  return node_->key;
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::next() {
  PAIRDB_DASSERT(valid());
  node_ = node_->next(0);
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::prev() {
  PAIRDB_DASSERT(valid());
  // Nodes have no back links (they would double the writer's publication work); a search
  // from the head costs O(log n) instead.
  Node* before = list_->find_less_than(node_->key);
  node_ = before == list_->head_ ? nullptr : before;
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::seek(const Key& target) {
  node_ = list_->find_greater_or_equal(target, nullptr);
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::seek_for_prev(const Key& target) {
  // Two searches rather than seek() then prev(): a key inserted concurrently can then never
  // land the iterator after target.
  Node* at_or_after = list_->find_greater_or_equal(target, nullptr);
  if (at_or_after != nullptr && list_->equal(at_or_after->key, target)) {
    node_ = at_or_after;
    return;
  }
  Node* before = list_->find_less_than(target);
  node_ = before == list_->head_ ? nullptr : before;
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::seek_to_first() {
  node_ = list_->head_->next(0);
}

template <typename Key, class Compare>
void SkipList<Key, Compare>::Iterator::seek_to_last() {
  Node* last = list_->find_last();
  node_ = last == list_->head_ ? nullptr : last;
}

}  // namespace pairdb::lsm
