#include "lsm/arena.h"

#include <cstdint>

namespace pairdb::lsm {

char* Arena::allocate_aligned(size_t bytes) {
  PAIRDB_ASSERT(bytes > 0);
  const size_t misalignment = reinterpret_cast<uintptr_t>(alloc_ptr_) & (kAlignBytes - 1);
  const size_t padding = misalignment == 0 ? 0 : kAlignBytes - misalignment;
  char* result;
  if (bytes + padding <= alloc_bytes_remaining_) {
    result = alloc_ptr_ + padding;
    alloc_ptr_ += bytes + padding;
    alloc_bytes_remaining_ -= bytes + padding;
  } else {
    // Fresh blocks start aligned, so the fallback never needs padding.
    result = allocate_fallback(bytes);
  }
  PAIRDB_ASSERT((reinterpret_cast<uintptr_t>(result) & (kAlignBytes - 1)) == 0);
  return result;
}

char* Arena::allocate_fallback(size_t bytes) {
  if (bytes > kLargeAllocationBytes) {
    // The current block keeps its remaining space for later small requests.
    return allocate_new_block(bytes);
  }
  // The unused tail of the current block is abandoned; it is smaller than the request plus any
  // alignment padding, so at most about kLargeAllocationBytes are wasted per block.
  alloc_ptr_ = allocate_new_block(kBlockBytes);
  alloc_bytes_remaining_ = kBlockBytes;
  char* result = alloc_ptr_;
  alloc_ptr_ += bytes;
  alloc_bytes_remaining_ -= bytes;
  PAIRDB_ASSERT(alloc_bytes_remaining_ < kBlockBytes);
  return result;
}

char* Arena::allocate_new_block(size_t block_bytes) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_bytes));
  // Counts the block and the pointer that tracks it; readers see it with relaxed ordering
  // because the figure is a flush heuristic, not a synchronisation point.
  memory_usage_.fetch_add(block_bytes + sizeof(blocks_.back()), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace pairdb::lsm
