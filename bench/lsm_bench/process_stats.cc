// Linux /proc readers and page-cache eviction for pairdb-lsm-bench.
#include "process_stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>

namespace pairdb::bench {
namespace {

// Returns the first number after "<field>" in a "<field> <number> ..." line of path.
std::optional<uint64_t> read_proc_field(const char* path, std::string_view field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(field)) continue;
    size_t digits = line.find_first_of("0123456789", field.size());
    if (digits == std::string::npos) return std::nullopt;
    return std::stoull(line.substr(digits));
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> process_bytes_written() {
  return read_proc_field("/proc/self/io", "wchar:");
}

std::optional<uint64_t> peak_rss_bytes() {
  std::optional<uint64_t> kib = read_proc_field("/proc/self/status", "VmHWM:");
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return out.good();
}

uint64_t directory_bytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (!it->is_regular_file(size_ec)) continue;
    uint64_t size = it->file_size(size_ec);
    if (!size_ec) total += size;  // A file deleted under us counts as 0.
  }
  return total;
}

int evict_directory_from_page_cache(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int advised = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) ++advised;
    ::close(fd);
  }
  return advised;
}

}  // namespace pairdb::bench
