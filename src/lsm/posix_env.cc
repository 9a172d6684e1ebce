// The POSIX Env: real files, fdatasync, flock and clock_gettime.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <pairdb/lsm/env.h>

namespace pairdb::lsm {
namespace {

constexpr size_t kWritableBufferBytes = 64 * 1024;
// Mapped files at once; beyond this, files are read with pread. Keeps the process far below
// vm.max_map_count (65530 by default) whatever the number of tables.
constexpr int kMappedFilesMax = 4096;
std::atomic<int> mapped_files{0};

Status posix_error(std::string_view context, int error_number) {
  std::string msg = fmt::format("{}: {}", context, std::strerror(error_number));
  if (error_number == ENOSPC || error_number == EDQUOT) return Status::no_space(msg);
  if (error_number == ENOENT) return Status::not_found(msg);
  return Status::io_error(msg);
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Result<std::string_view> read(size_t n, char* scratch) override {
    while (true) {
      ssize_t r = ::read(fd_, scratch, n);
      if (r >= 0) return std::string_view(scratch, static_cast<size_t>(r));
      if (errno != EINTR) return posix_error(fmt::format("read {}", path_), errno);
    }
  }

  Status skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return posix_error(fmt::format("seek {}", path_), errno);
    }
    return Status::ok();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Result<std::string_view> read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r == 0) break;  // End of file.
      if (r < 0) {
        if (errno == EINTR) continue;
        return posix_error(fmt::format("read {} at offset {}", path_, offset + done), errno);
      }
      done += static_cast<size_t>(r);
    }
    return std::string_view(scratch, done);
  }

 private:
  const std::string path_;
  const int fd_;
};

// A read-only mapping of an immutable file. Reads return views into the mapping.
class PosixMappedFile final : public RandomAccessFile {
 public:
  PosixMappedFile(std::string path, const char* base, size_t size)
      : path_(std::move(path)), base_(base), size_(size) {}
  ~PosixMappedFile() override {
    ::munmap(const_cast<char*>(base_), size_);
    mapped_files.fetch_sub(1, std::memory_order_relaxed);
  }

  Result<std::string_view> read(uint64_t offset, size_t n, char* scratch) const override {
    if (offset >= size_) return std::string_view();
    return std::string_view(base_ + offset, std::min<uint64_t>(n, size_ - offset));
  }

 private:
  const std::string path_;
  const char* const base_;
  const size_t size_;
};

// Buffers appends in user space; flush() hands them to the kernel, sync() makes them durable.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    buffer_.reserve(kWritableBufferBytes);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)close();
  }

  Status append(std::string_view data) override {
    size_ += data.size();
    if (buffer_.size() + data.size() <= kWritableBufferBytes) {
      buffer_.append(data);
      return Status::ok();
    }
    PAIRDB_TRY(flush());
    if (data.size() < kWritableBufferBytes) {
      buffer_.append(data);
      return Status::ok();
    }
    return write_fully(data);
  }

  Status flush() override {
    Status s = write_fully(buffer_);
    buffer_.clear();
    return s;
  }

  Status sync() override {
    PAIRDB_TRY(flush());
    if (::fdatasync(fd_) != 0) return posix_error(fmt::format("fdatasync {}", path_), errno);
    return Status::ok();
  }

  Status close() override {
    if (fd_ < 0) return Status::ok();
    Status s = flush();
    if (::close(fd_) != 0 && s.is_ok()) s = posix_error(fmt::format("close {}", path_), errno);
    fd_ = -1;
    return s;
  }

  uint64_t size() const override { return size_; }

 private:
  Status write_fully(std::string_view data) {
    while (!data.empty()) {
      ssize_t r = ::write(fd_, data.data(), data.size());
      if (r < 0) {
        if (errno == EINTR) continue;
        return posix_error(fmt::format("write {}", path_), errno);
      }
      data.remove_prefix(static_cast<size_t>(r));
    }
    return Status::ok();
  }

  const std::string path_;
  int fd_;
  std::string buffer_;
  uint64_t size_ = 0;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<SequentialFile>> new_sequential_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return posix_error(fmt::format("open {}", path), errno);
    return std::unique_ptr<SequentialFile>(std::make_unique<PosixSequentialFile>(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> new_random_access_file(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return posix_error(fmt::format("open {}", path), errno);
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixRandomAccessFile>(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> new_mapped_file(const std::string& path) override {
    if (mapped_files.fetch_add(1, std::memory_order_relaxed) >= kMappedFilesMax) {
      mapped_files.fetch_sub(1, std::memory_order_relaxed);
      return new_random_access_file(path);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      mapped_files.fetch_sub(1, std::memory_order_relaxed);
      return posix_error(fmt::format("open {}", path), errno);
    }
    struct stat st;
    void* base = MAP_FAILED;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      base = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    }
    if (base == MAP_FAILED) {  // Empty, or mapping refused: fall back to pread.
      mapped_files.fetch_sub(1, std::memory_order_relaxed);
      return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixRandomAccessFile>(path, fd));
    }
    ::close(fd);  // The mapping keeps the file open.
    return std::unique_ptr<RandomAccessFile>(std::make_unique<PosixMappedFile>(
        path, static_cast<const char*>(base), static_cast<size_t>(st.st_size)));
  }

  Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return posix_error(fmt::format("create {}", path), errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, fd));
  }

  bool file_exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<uint64_t> file_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return posix_error(fmt::format("stat {}", path), errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return posix_error(fmt::format("opendir {}", dir), errno);
    std::vector<std::string> names;
    while (struct dirent* entry = ::readdir(d)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return posix_error(fmt::format("unlink {}", path), errno);
    return Status::ok();
  }

  Status rename_file(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return posix_error(fmt::format("rename {} to {}", from, to), errno);
    }
    return Status::ok();
  }

  Status truncate_file(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return posix_error(fmt::format("truncate {} to {} bytes", path, size), errno);
    }
    return Status::ok();
  }

  Status create_dir_if_missing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return posix_error(fmt::format("mkdir {}", dir), errno);
    }
    return Status::ok();
  }

  Status sync_dir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return posix_error(fmt::format("open directory {}", dir), errno);
    Status s;
    if (::fsync(fd) != 0) s = posix_error(fmt::format("fsync directory {}", dir), errno);
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return posix_error(fmt::format("open lock file {}", path), errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::busy(
            fmt::format("{} is locked: another process has the database open", path));
      }
      return posix_error(fmt::format("lock {}", path), err);
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }

  Result<uint64_t> free_disk_bytes(const std::string& dir) override {
    struct statvfs st;
    if (::statvfs(dir.c_str(), &st) != 0) return posix_error(fmt::format("statvfs {}", dir), errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

  uint64_t now_micros() override {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  }

  uint64_t wall_micros() override {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  }
};

}  // namespace

Env* posix_env() {
  static PosixEnv env;
  return &env;
}

}  // namespace pairdb::lsm
