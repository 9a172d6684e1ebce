// What the kernel knows about this process and its files: bytes written, peak RSS, directory
// size, and evicting a directory's files from the page cache. Linux only (/proc); every reader
// returns nullopt when its /proc file is missing so the report can say "n/a".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pairdb::bench {

// Bytes this process (all threads, live and exited) passed to write(2)-family calls: /proc/self/io
// "wchar". Every engine writes its WAL, tables and manifests with write/pwrite, so deltas of this
// counter are the bytes each engine wrote to its files, whether or not they were deleted since.
std::optional<uint64_t> process_bytes_written();

// Peak resident set size (VmHWM in /proc/self/status).
std::optional<uint64_t> peak_rss_bytes();
// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs); false if refused.
bool reset_peak_rss();

// Sum of the logical sizes of the regular files under dir, recursively; 0 if dir is missing.
uint64_t directory_bytes(const std::string& dir);

// Asks the kernel to drop the clean page-cache pages of every file under dir
// (posix_fadvise DONTNEED; needs no privileges). Returns the number of files advised.
int evict_directory_from_page_cache(const std::string& dir);

}  // namespace pairdb::bench
