#include "lsm/faulty_env.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "common/assert.h"

namespace pairdb::lsm {

std::pair<std::string, std::string> split_path(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  if (slash == 0) return {"/", path.substr(1)};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

namespace {

bool is_mutating(FaultOp op) { return op != FaultOp::kRead; }

std::string_view op_name(FaultOp op) {
  switch (op) {
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kSyncDir:
      return "sync directory";
    case FaultOp::kRead:
      return "read";
  }
  return "?";
}

// What every in-memory file handle holds: the env (for its lock and fault checks), the path
// the handle was opened with, and the file's shared state.
class MemFileHandle {
 public:
  MemFileHandle(FaultyEnv* env, std::string path, std::shared_ptr<FaultyEnv::FileState> file)
      : env_(env), path_(std::move(path)), file_(std::move(file)) {}

  // Copies up to n bytes from `offset` into scratch, after the env's read fault check.
  Result<std::string_view> read_at(uint64_t offset, size_t n, char* scratch) const {
    std::lock_guard lock(env_->mutex());
    PAIRDB_TRY(env_->check_op_locked(FaultOp::kRead, path_));
    if (offset >= file_->data.size()) return std::string_view();
    size_t len = std::min<size_t>(n, file_->data.size() - offset);
    std::memcpy(scratch, file_->data.data() + offset, len);
    return std::string_view(scratch, len);
  }

 protected:
  FaultyEnv* const env_;
  const std::string path_;
  const std::shared_ptr<FaultyEnv::FileState> file_;
};

class MemSequentialFile final : public SequentialFile, private MemFileHandle {
 public:
  using MemFileHandle::MemFileHandle;

  Result<std::string_view> read(size_t n, char* scratch) override {
    Result<std::string_view> data = read_at(pos_, n, scratch);
    if (data.is_ok()) pos_ += data->size();
    return data;
  }

  Status skip(uint64_t n) override {
    std::lock_guard lock(env_->mutex());
    pos_ = std::min<uint64_t>(pos_ + n, file_->data.size());
    return Status::ok();
  }

 private:
  uint64_t pos_ = 0;
};

class MemRandomAccessFile final : public RandomAccessFile, private MemFileHandle {
 public:
  using MemFileHandle::MemFileHandle;

  Result<std::string_view> read(uint64_t offset, size_t n, char* scratch) const override {
    return read_at(offset, n, scratch);
  }
};

class MemWritableFile final : public WritableFile, private MemFileHandle {
 public:
  using MemFileHandle::MemFileHandle;

  Status append(std::string_view data) override {
    std::lock_guard lock(env_->mutex());
    PAIRDB_TRY(env_->check_op_locked(FaultOp::kAppend, path_));
    file_->data.append(data);
    return Status::ok();
  }
  Status flush() override { return Status::ok(); }
  Status sync() override {
    if (uint64_t latency = env_->sync_latency_micros(); latency > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(latency));  // Models the device.
    }
    std::lock_guard lock(env_->mutex());
    PAIRDB_TRY(env_->check_op_locked(FaultOp::kSync, path_));
    file_->synced_bytes = file_->data.size();
    return Status::ok();
  }
  Status close() override { return Status::ok(); }
  uint64_t size() const override {
    std::lock_guard lock(env_->mutex());
    return file_->data.size();
  }
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::mutex* mu, std::set<std::string>* locked, std::string path)
      : mu_(mu), locked_(locked), path_(std::move(path)) {}
  ~MemFileLock() override {
    std::lock_guard lock(*mu_);
    locked_->erase(path_);
  }

 private:
  std::mutex* mu_;
  std::set<std::string>* locked_;
  const std::string path_;
};

}  // namespace

FaultyEnv::FaultyEnv(uint64_t seed) : rng_(seed) {}
FaultyEnv::~FaultyEnv() = default;

void FaultyEnv::inject(FaultOp op, StatusCode code, std::string path_contains, int times) {
  std::lock_guard lock(mu_);
  faults_.push_back({op, code, std::move(path_contains), times});
}

void FaultyEnv::clear_faults() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

void FaultyEnv::crash_after_ops(uint64_t n) {
  PAIRDB_ASSERT(n >= 1);
  std::lock_guard lock(mu_);
  crash_at_op_ = ops_ + n;
}

bool FaultyEnv::powered_off() const {
  std::lock_guard lock(mu_);
  return powered_off_;
}

uint64_t FaultyEnv::mutating_ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}

Status FaultyEnv::check_op_locked(FaultOp op, const std::string& path) {
  if (is_mutating(op)) {
    if (!powered_off_) ++ops_;
    if (crash_at_op_ != 0 && ops_ >= crash_at_op_) powered_off_ = true;
    if (powered_off_) {
      return Status::io_error(fmt::format("{} {}: simulated power loss", op_name(op), path));
    }
  }
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || path.find(it->path_contains) == std::string::npos) continue;
    StatusCode code = it->code;
    if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
    std::string msg = fmt::format("{} {}: injected fault", op_name(op), path);
    if (code == StatusCode::kNoSpace) return Status::no_space(msg + " (no space left on device)");
    return Status::io_error(msg + " (input/output error)");
  }
  return Status::ok();
}

void FaultyEnv::crash(const CrashOptions& options) {
  std::lock_guard lock(mu_);
  std::set<FileState*> seen;
  for (auto& [dir_name, dir] : dirs_) {
    dir.live = dir.durable;
    for (auto& [name, file] : dir.live) {
      if (!seen.insert(file.get()).second) continue;
      uint64_t keep = file->synced_bytes;
      uint64_t unsynced = file->data.size() - keep;
      if (options.tear_unsynced_tail && unsynced > 0) keep += rng_() % (unsynced + 1);
      file->data.resize(keep);
      file->synced_bytes = keep;
    }
  }
  crash_at_op_ = 0;
  powered_off_ = false;
  faults_.clear();
}

Status FaultyEnv::flip_bit(const std::string& path, uint64_t offset, int bit) {
  std::lock_guard lock(mu_);
  auto file = find_file_locked(path);
  if (!file) return Status::not_found(fmt::format("flip_bit {}: no such file", path));
  if (offset >= file->data.size()) return Status::invalid_argument("flip_bit past end of file");
  file->data[offset] = static_cast<char>(file->data[offset] ^ (1 << (bit & 7)));
  return Status::ok();
}

void FaultyEnv::set_sync_latency_micros(uint64_t micros) { sync_latency_micros_ = micros; }

void FaultyEnv::set_free_disk_bytes(uint64_t bytes) {
  std::lock_guard lock(mu_);
  free_disk_bytes_ = bytes;
}

Result<std::string> FaultyEnv::file_contents(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto file = const_cast<FaultyEnv*>(this)->find_file_locked(path);
  if (!file) return Status::not_found(path);
  return file->data;
}

FaultyEnv::Directory* FaultyEnv::find_dir_locked(const std::string& dir) {
  auto it = dirs_.find(dir);
  return it == dirs_.end() ? nullptr : &it->second;
}

std::shared_ptr<FaultyEnv::FileState> FaultyEnv::find_file_locked(const std::string& path) {
  auto [dir_name, name] = split_path(path);
  Directory* dir = find_dir_locked(dir_name);
  if (dir == nullptr) return nullptr;
  auto it = dir->live.find(name);
  return it == dir->live.end() ? nullptr : it->second;
}

Result<std::unique_ptr<SequentialFile>> FaultyEnv::new_sequential_file(const std::string& path) {
  std::lock_guard lock(mu_);
  auto file = find_file_locked(path);
  if (!file) return Status::not_found(fmt::format("open {}: no such file", path));
  return std::unique_ptr<SequentialFile>(std::make_unique<MemSequentialFile>(this, path, file));
}

Result<std::unique_ptr<RandomAccessFile>> FaultyEnv::new_random_access_file(
    const std::string& path) {
  std::lock_guard lock(mu_);
  auto file = find_file_locked(path);
  if (!file) return Status::not_found(fmt::format("open {}: no such file", path));
  return std::unique_ptr<RandomAccessFile>(std::make_unique<MemRandomAccessFile>(this, path, file));
}

Result<std::unique_ptr<WritableFile>> FaultyEnv::new_writable_file(const std::string& path) {
  std::lock_guard lock(mu_);
  auto [dir_name, name] = split_path(path);
  Directory* dir = find_dir_locked(dir_name);
  if (dir == nullptr) return Status::not_found(fmt::format("create {}: no such directory", path));
  PAIRDB_TRY(check_op_locked(FaultOp::kCreate, path));
  auto file = std::make_shared<FileState>();
  dir->live[name] = file;
  return std::unique_ptr<WritableFile>(std::make_unique<MemWritableFile>(this, path, file));
}

bool FaultyEnv::file_exists(const std::string& path) {
  std::lock_guard lock(mu_);
  return find_file_locked(path) != nullptr || find_dir_locked(path) != nullptr;
}

Result<uint64_t> FaultyEnv::file_size(const std::string& path) {
  std::lock_guard lock(mu_);
  auto file = find_file_locked(path);
  if (!file) return Status::not_found(fmt::format("stat {}: no such file", path));
  return static_cast<uint64_t>(file->data.size());
}

Result<std::vector<std::string>> FaultyEnv::list_dir(const std::string& dir_name) {
  std::lock_guard lock(mu_);
  Directory* dir = find_dir_locked(dir_name);
  if (dir == nullptr)
    return Status::not_found(fmt::format("opendir {}: no such directory", dir_name));
  std::vector<std::string> names;
  for (const auto& [name, file] : dir->live) names.push_back(name);
  return names;
}

Status FaultyEnv::remove_file(const std::string& path) {
  std::lock_guard lock(mu_);
  auto [dir_name, name] = split_path(path);
  Directory* dir = find_dir_locked(dir_name);
  if (dir == nullptr || dir->live.count(name) == 0) {
    return Status::not_found(fmt::format("unlink {}: no such file", path));
  }
  PAIRDB_TRY(check_op_locked(FaultOp::kRemove, path));
  dir->live.erase(name);
  return Status::ok();
}

Status FaultyEnv::rename_file(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  auto [from_dir_name, from_name] = split_path(from);
  auto [to_dir_name, to_name] = split_path(to);
  Directory* from_dir = find_dir_locked(from_dir_name);
  Directory* to_dir = find_dir_locked(to_dir_name);
  if (from_dir == nullptr || to_dir == nullptr || from_dir->live.count(from_name) == 0) {
    return Status::not_found(fmt::format("rename {} to {}: no such file", from, to));
  }
  PAIRDB_TRY(check_op_locked(FaultOp::kRename, from));
  auto file = from_dir->live[from_name];
  from_dir->live.erase(from_name);
  to_dir->live[to_name] = file;
  return Status::ok();
}

Status FaultyEnv::truncate_file(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  auto file = find_file_locked(path);
  if (!file) return Status::not_found(fmt::format("truncate {}: no such file", path));
  PAIRDB_TRY(check_op_locked(FaultOp::kAppend, path));
  if (size < file->data.size()) file->data.resize(size);
  // Truncation of synced bytes is itself unsynced; modelled as immediately durable, which is
  // what the engine relies on only after it syncs the file again.
  file->synced_bytes = std::min<uint64_t>(file->synced_bytes, file->data.size());
  return Status::ok();
}

Status FaultyEnv::create_dir_if_missing(const std::string& dir) {
  std::lock_guard lock(mu_);
  dirs_.try_emplace(dir);
  return Status::ok();
}

Status FaultyEnv::sync_dir(const std::string& dir_name) {
  std::lock_guard lock(mu_);
  Directory* dir = find_dir_locked(dir_name);
  if (dir == nullptr)
    return Status::not_found(fmt::format("fsync {}: no such directory", dir_name));
  PAIRDB_TRY(check_op_locked(FaultOp::kSyncDir, dir_name));
  dir->durable = dir->live;
  return Status::ok();
}

Result<std::unique_ptr<FileLock>> FaultyEnv::lock_file(const std::string& path) {
  std::lock_guard lock(mu_);
  if (!locked_paths_.insert(path).second) {
    return Status::busy(fmt::format("{} is locked: the database is already open", path));
  }
  return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(&mu_, &locked_paths_, path));
}

Result<uint64_t> FaultyEnv::free_disk_bytes(const std::string& dir) {
  std::lock_guard lock(mu_);
  return free_disk_bytes_;
}

uint64_t FaultyEnv::now_micros() {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count();
}

uint64_t FaultyEnv::wall_micros() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count();
}

}  // namespace pairdb::lsm
