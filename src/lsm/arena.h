// Arena: the bump allocator behind a memtable's entries and skiplist nodes.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "common/assert.h"

namespace pairdb::lsm {

// Hands out memory carved from blocks that live until the arena is destroyed; nothing is freed
// individually. A memtable is dropped as a whole, so per-entry frees would be wasted work.
//
// Threads: one thread at a time may allocate (the memtable's single writer). memory_usage() may
// be read from any thread at any time.
// Invariants: alloc_ptr_ .. alloc_ptr_ + alloc_bytes_remaining_ lies inside the newest small
// block; memory_usage_ only grows and covers every block handed out plus its bookkeeping.
class Arena {
 public:
  // Requests smaller than this are carved from the shared current block.
  static constexpr size_t kBlockBytes = 4096;
  // A request larger than this that does not fit in the current block gets a block of its
  // own, so a large value neither abandons the current block's tail nor rounds up to blocks.
  // Only smaller requests start a new shared block, which bounds the waste per block.
  static constexpr size_t kLargeAllocationBytes = kBlockBytes / 4;
  // Alignment of allocate_aligned(): enough for the skiplist's std::atomic<Node*> links.
  static constexpr size_t kAlignBytes = alignof(std::atomic<void*>);
  static_assert(kAlignBytes >= alignof(void*));
  static_assert((kAlignBytes & (kAlignBytes - 1)) == 0, "alignment must be a power of two");
  // Blocks come from operator new[], whose alignment therefore covers kAlignBytes.
  static_assert(kAlignBytes <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static_assert(kLargeAllocationBytes < kBlockBytes);

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` bytes with no alignment guarantee.
  // REQUIRES: bytes > 0
  char* allocate(size_t bytes);

  // Returns `bytes` bytes aligned to kAlignBytes.
  // REQUIRES: bytes > 0
  char* allocate_aligned(size_t bytes);

  // Total bytes reserved from the heap, including bookkeeping. Safe from any thread.
  size_t memory_usage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  // Called when the current block cannot satisfy a request.
  char* allocate_fallback(size_t bytes);
  char* allocate_new_block(size_t block_bytes);

  char* alloc_ptr_ = nullptr;
  size_t alloc_bytes_remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

inline char* Arena::allocate(size_t bytes) {
  PAIRDB_ASSERT(bytes > 0);
  if (bytes <= alloc_bytes_remaining_) {
    char* result = alloc_ptr_;
    alloc_ptr_ += bytes;
    alloc_bytes_remaining_ -= bytes;
    return result;
  }
  return allocate_fallback(bytes);
}

}  // namespace pairdb::lsm
