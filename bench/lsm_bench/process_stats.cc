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

// Calls visit(entry) for every regular file below dir. Errors end the walk quietly: a file
// deleted under us is skipped, an unreadable directory ends it early.
template <typename Visit>
void for_each_regular_file(const std::string& dir, Visit visit) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) visit(*it);
  }
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
  uint64_t total = 0;
  for_each_regular_file(dir, [&](const std::filesystem::directory_entry& file) {
    std::error_code size_ec;
    uint64_t size = file.file_size(size_ec);
    if (!size_ec) total += size;  // A file deleted under us counts as 0.
  });
  return total;
}

int evict_directory_from_page_cache(const std::string& dir) {
  int advised = 0;
  for_each_regular_file(dir, [&](const std::filesystem::directory_entry& file) {
    int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) ++advised;
    ::close(fd);
  });
  return advised;
}

}  // namespace pairdb::bench
