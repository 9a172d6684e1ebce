#include "lsm/db_impl.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "lsm/db_iter.h"
#include "lsm/filename.h"
#include "lsm/log_reader.h"
#include "lsm/merging_iterator.h"
#include "lsm/table_builder.h"

namespace pairdb::lsm {

namespace {
// Backoff between retries of failed background work (flushes and compactions).
constexpr uint64_t kBackgroundRetryMicrosMin = 100'000;
constexpr uint64_t kBackgroundRetryMicrosMax = 10'000'000;

Options sanitize(const Options& in) {
  Options out = in;
  if (out.env == nullptr) out.env = posix_env();
  if (out.comparator == nullptr) out.comparator = bytewise_comparator();
  out.write_buffer_bytes = std::clamp<size_t>(out.write_buffer_bytes, 64 << 10, size_t{1} << 30);
  out.block_bytes = std::clamp<size_t>(out.block_bytes, 1 << 10, 4 << 20);
  out.block_restart_interval = std::clamp(out.block_restart_interval, 1, 1024);
  out.bloom_bits_per_key = std::clamp(out.bloom_bits_per_key, 0, 64);
  out.wal_sync_period_ms = std::clamp<uint32_t>(out.wal_sync_period_ms, 1, 60'000);
  out.max_open_tables = std::max<size_t>(out.max_open_tables, 16);
  out.level0_compaction_trigger = std::max(out.level0_compaction_trigger, 1);
  out.level0_slowdown_writes_trigger =
      std::max(out.level0_slowdown_writes_trigger, out.level0_compaction_trigger);
  out.level0_stop_writes_trigger =
      std::max(out.level0_stop_writes_trigger, out.level0_slowdown_writes_trigger);
  out.level1_target_bytes = std::max<uint64_t>(out.level1_target_bytes, 64 << 10);
  out.level_size_multiplier = std::clamp(out.level_size_multiplier, 2.0, 100.0);
  out.target_file_bytes = std::clamp<uint64_t>(out.target_file_bytes, 32 << 10, 4ull << 30);
  out.hard_pending_compaction_bytes =
      std::max(out.hard_pending_compaction_bytes, out.soft_pending_compaction_bytes);
  return out;
}
}  // namespace

Result<std::unique_ptr<DB>> DB::open(const Options& options, const std::string& path) {
  auto db = std::make_unique<DBImpl>(options, path);
  PAIRDB_TRY(db->open());
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(const Options& options, std::string path)
    : options_(sanitize(options)),
      path_(std::move(path)),
      internal_comparator_(options_.comparator) {
  table_options_.comparator = &internal_comparator_;
  table_options_.block_bytes = options_.block_bytes;
  table_options_.block_restart_interval = options_.block_restart_interval;
  table_options_.bloom_bits_per_key = options_.bloom_bits_per_key;
  if (options_.block_cache_bytes > 0) {
    block_cache_ = std::make_unique<LruCache<Block>>(options_.block_cache_bytes);
  }
  table_options_.block_cache = block_cache_.get();
  table_options_.counters = &read_counters_;
  table_cache_ = std::make_unique<TableCache>(path_, options_.env, table_options_,
                                              options_.max_open_tables, options_.use_mmap_reads);
  picker_ = std::make_unique<CompactionPicker>(options_, &internal_comparator_);
  versions_ = std::make_unique<VersionSet>(path_, options_.env, &internal_comparator_);
  mem_ = std::make_shared<Memtable>(internal_comparator_, options_.write_buffer_bytes);
}

DBImpl::~DBImpl() {
  Status s = close();
  if (!s.is_ok()) log(LogLevel::kWarn, fmt::format("closing {}: {}", path_, s.to_string()));
}

void DBImpl::log(LogLevel level, std::string_view message) const {
  if (options_.log) {
    options_.log(level, message);
    return;
  }
  // The default sink is for operators: file-level DEBUG lines (every MANIFEST edit, every
  // removed file) only reach a sink the caller installs.
  if (level == LogLevel::kDebug) return;
  static constexpr std::string_view kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  std::fprintf(stderr, "pairdb-lsm %s %.*s\n", kNames[static_cast<int>(level)].data(),
               static_cast<int>(message.size()), message.data());
}

Status DBImpl::open() {
  Env* env = options_.env;
  PAIRDB_TRY(env->create_dir_if_missing(path_));
  PAIRDB_ASSIGN_OR_RETURN(db_lock_, env->lock_file(lock_file_name(path_)));
  if (!env->file_exists(current_file_name(path_))) {
    if (!options_.create_if_missing) {
      return Status::invalid_argument(
          fmt::format("{} does not exist (create_if_missing is false)", path_));
    }
    PAIRDB_TRY(versions_->create_new_db());
  } else if (options_.error_if_exists) {
    return Status::invalid_argument(fmt::format("{} exists (error_if_exists is true)", path_));
  }
  std::unique_lock lock(mutex_);
  PAIRDB_TRY(versions_->recover());

  VersionEdit edit;
  PAIRDB_TRY(recover_wals(&edit, lock));
  PAIRDB_TRY(open_new_wal_locked());
  mem_first_wal_ = wal_number_;
  edit.set_log_number(wal_number_);
  PAIRDB_TRY(install_edit_locked(&edit, lock));
  delete_obsolete_files_locked(/*at_open=*/true);
  lock.unlock();

  if (!options_.inline_background_work) {
    background_thread_ = std::thread([this] { background_loop(); });
    compaction_thread_ = std::thread([this] { compaction_loop(); });
  }
  if (options_.wal_sync_mode == WalSyncMode::kPeriodic) {
    sync_thread_ = std::thread([this] { periodic_sync_loop(); });
  }
  log(LogLevel::kInfo, fmt::format("opened {} at sequence {}", path_, versions_->last_sequence()));
  return Status::ok();
}

// Replays every WAL segment not yet covered by a table into level-0 tables recorded in `edit`.
// REQUIRES: mutex_ held (open() runs alone, so it is never released).
Status DBImpl::recover_wals(VersionEdit* edit, std::unique_lock<std::mutex>& lock) {
  PAIRDB_ASSIGN_OR_RETURN(auto names, options_.env->list_dir(path_));
  std::set<uint64_t> tables_present;
  std::vector<uint64_t> wals;
  for (const auto& name : names) {
    auto parsed = parse_file_name(name);
    if (!parsed) continue;
    versions_->mark_file_number_used(parsed->number);
    if (parsed->type == FileType::kTable) tables_present.insert(parsed->number);
    if (parsed->type == FileType::kWal && parsed->number >= versions_->log_number()) {
      wals.push_back(parsed->number);
    }
  }
  for (uint64_t number : versions_->live_table_numbers()) {
    if (tables_present.count(number) == 0) {
      return Status::corruption(fmt::format("{} is missing: the MANIFEST lists it as live",
                                            table_file_name(path_, number)));
    }
  }
  std::sort(wals.begin(), wals.end());
  SequenceNumber max_sequence = versions_->last_sequence();
  for (uint64_t number : wals) PAIRDB_TRY(replay_wal(number, edit, &max_sequence));
  if (mem_->entry_count() > 0) {
    uint64_t number = versions_->new_file_number();
    PAIRDB_ASSIGN_OR_RETURN(FileMetaData meta, build_table(*mem_, number));
    if (meta.file_size > 0) edit->add_file(0, std::move(meta));
    mem_ = std::make_shared<Memtable>(internal_comparator_, options_.write_buffer_bytes);
  }
  versions_->set_last_sequence(max_sequence);
  return Status::ok();
}

Status DBImpl::replay_wal(uint64_t number, VersionEdit* edit, SequenceNumber* max_sequence) {
  std::string path = wal_file_name(path_, number);
  PAIRDB_ASSIGN_OR_RETURN(auto file, options_.env->new_sequential_file(path));
  const bool salvage = options_.wal_recovery_mode == WalRecoveryMode::kSkipCorruptedRecords;
  LogReader reader(std::move(file), path, salvage);
  WriteBatch batch;
  while (true) {
    PAIRDB_ASSIGN_OR_RETURN(auto record, reader.read_record());
    if (!record) break;
    Status s = batch.set_contents(*record);
    if (s.is_ok()) {
      SequenceNumber seq = batch.sequence();
      s = insert_into_memtable(batch, mem_.get());
      if (s.is_ok() && batch.count() > 0) {
        *max_sequence = std::max(*max_sequence, seq + batch.count() - 1);
      }
    }
    if (!s.is_ok()) return s.with_context(path);
    ++stats_.recovered_records;
    if (mem_->approximate_memory_usage() >= options_.write_buffer_bytes) {
      PAIRDB_ASSIGN_OR_RETURN(FileMetaData meta, build_table(*mem_, versions_->new_file_number()));
      if (meta.file_size > 0) edit->add_file(0, std::move(meta));
      mem_ = std::make_shared<Memtable>(internal_comparator_, options_.write_buffer_bytes);
    }
  }
  const LogReaderStats& stats = reader.stats();
  stats_.torn_tail_bytes += stats.torn_tail_bytes;
  stats_.skipped_records += stats.skipped_records;
  if (stats.torn_tail_bytes > 0) {
    log(LogLevel::kWarn,
        fmt::format("{}: dropped a torn tail of {} bytes at offset {} (a write cut off by a "
                    "crash before it was synced; it was never acknowledged as durable)",
                    path, stats.torn_tail_bytes, stats.torn_tail_offset));
  }
  if (stats.skipped_records > 0) {
    log(LogLevel::kError,
        fmt::format("{}: SKIPPED {} damaged record(s), {} bytes (salvage mode): writes in them "
                    "are lost",
                    path, stats.skipped_records, stats.skipped_bytes));
  }
  return Status::ok();
}

// Writes mem to table `number`, syncs it and its directory entry, and checks it opens.
// A memtable with no entries yields file_size 0 and no file.
Result<FileMetaData> DBImpl::build_table(Memtable& mem, uint64_t number) {
  std::string path = table_file_name(path_, number);
  FileMetaData meta;
  meta.number = number;
  auto file = options_.env->new_writable_file(path);
  if (!file.is_ok()) return file.status().with_context("flushing memtable");
  TableBuilder builder(table_options_, file->get());
  auto it = mem.new_iterator();
  for (it->seek_to_first(); it->valid(); it->next()) {
    if (meta.smallest.empty()) meta.smallest.assign(it->key());
    meta.largest.assign(it->key());
    builder.add(it->key(), it->value());
  }
  Status s = it->status();
  if (s.is_ok()) s = builder.status();
  if (s.is_ok() && builder.entry_count() > 0) {
    s = builder.finish();
    if (s.is_ok()) s = (*file)->sync();
    if (s.is_ok()) s = (*file)->close();
    if (s.is_ok()) s = options_.env->sync_dir(path_);
    meta.file_size = builder.file_size();
    if (s.is_ok()) s = table_cache_->find(number, meta.file_size).status();
  } else {
    builder.abandon();
    (void)(*file)->close();
  }
  if (!s.is_ok() || meta.file_size == 0) {
    table_cache_->evict(number);
    (void)options_.env->remove_file(path);
  }
  if (!s.is_ok()) return s.with_context(fmt::format("flushing memtable to {}", path));
  return meta;
}

Status DBImpl::install_edit_locked(VersionEdit* edit, std::unique_lock<std::mutex>& lock) {
  background_done_cv_.wait(lock, [&] { return !manifest_busy_; });
  manifest_busy_ = true;
  Status s = versions_->log_and_apply(edit, lock);
  log(LogLevel::kDebug, fmt::format("{} -> {}", edit->debug_string(), s.to_string()));
  manifest_busy_ = false;
  current_scores_ = picker_->scores(*versions_->current());
  background_done_cv_.notify_all();
  if (!s.is_ok()) fence_locked(s);
  return s;
}

void DBImpl::run_background_loop(const std::function<bool()>& has_work,
                                 const std::function<Status(std::unique_lock<std::mutex>&)>& work) {
  std::unique_lock lock(mutex_);
  uint64_t retry_micros = kBackgroundRetryMicrosMin;
  while (true) {
    background_work_cv_.wait(lock, [&] { return shutting_down_ || has_work(); });
    if (shutting_down_) break;
    if (work(lock).is_ok()) {
      retry_micros = kBackgroundRetryMicrosMin;
      continue;
    }
    // Back off before retrying failed work (e.g. the disk is full).
    background_work_cv_.wait_for(lock, std::chrono::microseconds(retry_micros),
                                 [&] { return shutting_down_; });
    retry_micros = std::min(retry_micros * 2, kBackgroundRetryMicrosMax);
  }
}

void DBImpl::background_loop() {
  run_background_loop([&] { return imm_ != nullptr && fenced_.is_ok() && !flush_running_; },
                      [&](std::unique_lock<std::mutex>& lock) {
                        flush_immutable_locked(lock);
                        return flush_error_;
                      });
}

void DBImpl::periodic_sync_loop() {
  const auto period = std::chrono::milliseconds(options_.wal_sync_period_ms);
  std::unique_lock lock(mutex_);
  while (!shutting_down_) {
    background_work_cv_.wait_for(lock, period, [&] { return shutting_down_; });
    if (shutting_down_ || !wal_unsynced_) continue;
    lock.unlock();
    WriteOptions sync_only;
    sync_only.sync = true;
    (void)write_impl(sync_only, nullptr, false);
    lock.lock();
  }
}

// Writes imm_ to a level-0 table and records it. REQUIRES: mutex_ held, imm_ set.
void DBImpl::flush_immutable_locked(std::unique_lock<std::mutex>& lock) {
  PAIRDB_ASSERT(imm_ != nullptr);
  PAIRDB_ASSERT(!flush_running_);
  flush_running_ = true;
  std::shared_ptr<Memtable> imm = imm_;
  const uint64_t number = versions_->new_file_number();
  const uint64_t first_live_wal = mem_first_wal_;  // Every older segment only fed imm_.
  pending_outputs_.insert(number);
  lock.unlock();
  auto meta = build_table(*imm, number);
  lock.lock();

  Status s = meta.status();
  if (s.is_ok()) {
    VersionEdit edit;
    if (meta->file_size > 0) edit.add_file(0, *meta);
    edit.set_log_number(first_live_wal);
    s = install_edit_locked(&edit, lock);
    if (s.is_ok()) {
      imm_.reset();
      flush_error_ = Status::ok();
      ++stats_.flushes;
      stats_.flush_bytes += meta->file_size;
      stats_.level_write_bytes[0] += meta->file_size;
      delete_obsolete_files_locked(/*at_open=*/false);
      background_work_cv_.notify_all();  // Level 0 grew: maybe compact.
    }
  } else {
    ++stats_.flush_failures;
    flush_error_ = s;
    log(LogLevel::kError, fmt::format("flush failed (will retry): {}", s.to_string()));
  }
  // Pending until installed: the MANIFEST update releases the mutex, and the obsolete-file
  // sweep of another thread must not take the new table for garbage meanwhile.
  pending_outputs_.erase(number);
  flush_running_ = false;
  background_done_cv_.notify_all();
}

// Deletes WAL segments, tables and MANIFESTs no longer needed. REQUIRES: mutex_ held.
void DBImpl::delete_obsolete_files_locked(bool at_open) {
  auto names = options_.env->list_dir(path_);
  if (!names.is_ok()) return;
  std::set<uint64_t> live_tables = versions_->live_table_numbers();
  for (const auto& name : *names) {
    auto parsed = parse_file_name(name);
    if (!parsed) continue;
    bool keep = true;
    switch (parsed->type) {
      case FileType::kWal:
        keep = parsed->number >= versions_->log_number() || parsed->number == wal_number_;
        break;
      case FileType::kTable:
        keep = live_tables.count(parsed->number) > 0 || pending_outputs_.count(parsed->number) > 0;
        break;
      case FileType::kManifest:
        keep = parsed->number >= versions_->manifest_number();
        break;
      case FileType::kTemp:
        keep = !at_open;  // Outside open() a temp file may be a CURRENT update in progress.
        break;
      case FileType::kCurrent:
      case FileType::kLock:
        break;
    }
    if (keep) continue;
    if (parsed->type == FileType::kTable) table_cache_->evict(parsed->number);
    log(LogLevel::kDebug, fmt::format("removing obsolete file {}", name));
    Status s = options_.env->remove_file(path_ + "/" + name);
    if (!s.is_ok()) log(LogLevel::kWarn, fmt::format("removing obsolete file: {}", s.to_string()));
  }
}

Result<std::string> DBImpl::get(const ReadOptions& options, std::string_view key) {
  std::unique_lock lock(mutex_, std::defer_lock);
  // The mutex is held across some file work (a new WAL at a memtable switch, a MANIFEST
  // snapshot, removing obsolete files): a memory-only reader does not wait for it.
  if (!options.memory_only) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return Status::busy("the engine is busy: not from memory alone");
  }
  SequenceNumber seq =
      options.snapshot != nullptr ? options.snapshot->sequence() : versions_->last_sequence();
  std::shared_ptr<Memtable> mem = mem_;
  std::shared_ptr<Memtable> imm = imm_;
  std::shared_ptr<const Version> version = versions_->current();
  lock.unlock();

  for (Memtable* table : {mem.get(), imm.get()}) {
    if (table == nullptr) continue;
    Memtable::LookupResult r = table->get(key, seq);
    if (r.kind == Memtable::LookupResult::Kind::kFound) return std::move(r.value);
    if (r.kind == Memtable::LookupResult::Kind::kDeleted) return Status::not_found("deleted");
  }
  if (options.memory_only) {
    if (version->surely_absent(key, *table_cache_)) return Status::not_found("no such key");
    return Status::busy("the answer is in a table: not from memory alone");
  }
  stats_gets_.fetch_add(1, std::memory_order_relaxed);
  ReadCharge charge;
  auto looked_up = version->get(key, seq, *table_cache_, &stats_get_table_probes_, &charge);
  if (charge.file != nullptr && charge.file->read_budget.charge()) note_read_budget_spent(charge);
  PAIRDB_ASSIGN_OR_RETURN(LookupResult r, std::move(looked_up));
  if (r.kind == LookupResult::Kind::kFound) return std::move(r.value);
  return Status::not_found(r.kind == LookupResult::Kind::kDeleted ? "deleted" : "no such key");
}

std::unique_ptr<Iterator> DBImpl::new_iterator(const ReadOptions& options) {
  std::unique_lock lock(mutex_);
  SequenceNumber seq =
      options.snapshot != nullptr ? options.snapshot->sequence() : versions_->last_sequence();
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(mem_->new_iterator());
  if (imm_ != nullptr) children.push_back(imm_->new_iterator());
  std::shared_ptr<const Version> version = versions_->current();
  lock.unlock();
  version->add_iterators(*table_cache_, &children);
  auto merged = new_merging_iterator(&internal_comparator_, std::move(children));
  return new_db_iterator(options_.comparator, std::move(merged), seq, std::move(version));
}

const Snapshot* DBImpl::get_snapshot() {
  std::lock_guard lock(mutex_);
  snapshots_.push_back(std::make_unique<SnapshotImpl>(versions_->last_sequence()));
  return snapshots_.back().get();
}

void DBImpl::release_snapshot(const Snapshot* snapshot) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(snapshots_.begin(), snapshots_.end(),
                         [&](const auto& s) { return s.get() == snapshot; });
  PAIRDB_ASSERT(it != snapshots_.end());
  snapshots_.erase(it);
}

bool DBImpl::writes_may_wait() {
  if (options_.wal_sync_mode == WalSyncMode::kPerWrite) return true;
  std::lock_guard lock(mutex_);
  if (!fenced_.is_ok() || wal_broken_ || shutting_down_) return true;  // Fails fast, or reopens.
  const size_t l0_files = versions_->current()->files(0).size();
  if (l0_files >= static_cast<size_t>(options_.level0_slowdown_writes_trigger) ||
      current_scores_.pending_compaction_bytes >= options_.soft_pending_compaction_bytes) {
    return true;
  }
  // A memtable close to full switches soon; if the previous one is still flushing, that waits.
  return imm_ != nullptr && mem_->approximate_memory_usage() >= options_.write_buffer_bytes / 2;
}

Status DBImpl::flush() {
  PAIRDB_TRY(write_impl(WriteOptions(), nullptr, /*force_flush=*/true));
  std::unique_lock lock(mutex_);
  background_done_cv_.wait(lock, [&] {
    return imm_ == nullptr || !fenced_.is_ok() || !flush_error_.is_ok() || shutting_down_;
  });
  if (!fenced_.is_ok()) return fenced_;
  if (imm_ != nullptr && !flush_error_.is_ok()) return flush_error_;
  return Status::ok();
}

Status DBImpl::close() {
  std::unique_lock lock(mutex_);
  if (closed_) return Status::ok();
  shutting_down_ = true;
  shutting_down_flag_ = true;
  background_work_cv_.notify_all();
  background_done_cv_.notify_all();  // Writers waiting for a flush give up.
  background_done_cv_.wait(lock, [&] {
    return writers_.empty() && !flush_running_ && !compaction_running_ && !manifest_busy_;
  });
  lock.unlock();
  if (background_thread_.joinable()) background_thread_.join();
  if (compaction_thread_.joinable()) compaction_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  lock.lock();
  Status s;
  if (wal_ != nullptr) {
    if (fenced_.is_ok() && !wal_broken_ && options_.wal_sync_mode != WalSyncMode::kNone) {
      s = wal_->sync();
    }
    Status close_status = wal_->close();
    if (s.is_ok() && fenced_.is_ok() && !wal_broken_) s = close_status;
    wal_.reset();
  }
  closed_ = true;
  db_lock_.reset();
  return s;
}

// One `name value` pair per entry, in a stable order: the machine-readable stats.
std::vector<std::pair<std::string, std::string>> DBImpl::stats_map_locked() {
  std::vector<std::pair<std::string, std::string>> m;
  auto add = [&](std::string name, auto value) {
    m.emplace_back(std::move(name), fmt::format("{}", value));
  };
  std::shared_ptr<const Version> version = versions_->current();
  const DbStats& s = stats_;
  int nonempty_deeper_levels = 0;
  for (int level = 0; level < kNumLevels; ++level) {
    add(fmt::format("level{}.files", level), version->files(level).size());
    add(fmt::format("level{}.bytes", level), version->level_bytes(level));
    add(fmt::format("level{}.target-bytes", level),
        level == 0 ? 0 : picker_->level_target_bytes(level));
    add(fmt::format("level{}.score", level), fmt::format("{:.3f}", current_scores_.score[level]));
    add(fmt::format("level{}.written-bytes", level), s.level_write_bytes[level]);
    if (level > 0 && !version->files(level).empty()) ++nonempty_deeper_levels;
  }
  const uint64_t disk_writes = s.wal_bytes + s.flush_bytes + s.compaction_write_bytes;
  const uint64_t gets = stats_gets_.load(std::memory_order_relaxed);
  const uint64_t probes = stats_get_table_probes_.load(std::memory_order_relaxed);
  add("sequence", versions_->last_sequence());
  add("memtable-bytes",
      mem_->approximate_memory_usage() + (imm_ ? imm_->approximate_memory_usage() : 0));
  add("pending-compaction-bytes", current_scores_.pending_compaction_bytes);
  add("user-bytes-written", s.user_bytes);
  add("disk-bytes-written", disk_writes);
  add("write-amplification",
      fmt::format("{:.2f}", s.user_bytes ? double(disk_writes) / s.user_bytes : 0.0));
  add("gets", gets);
  add("read-amplification", fmt::format("{:.2f}", gets ? double(probes) / gets : 0.0));
  add("read-amplification-worst", version->files(0).size() + nonempty_deeper_levels);
  add("bloom-checked", read_counters_.filter_checked.load());
  add("bloom-useful", read_counters_.filter_useful.load());
  add("block-reads", read_counters_.block_reads.load());
  add("block-cache-hits", block_cache_ ? block_cache_->hits() : 0);
  add("block-cache-misses", block_cache_ ? block_cache_->misses() : 0);
  add("block-cache-usage-bytes", block_cache_ ? block_cache_->usage() : 0);
  add("block-cache-capacity-bytes", block_cache_ ? block_cache_->capacity() : 0);
  add("write-batches", s.write_batches);
  add("wal-records", s.write_groups);
  add("wal-bytes", s.wal_bytes);
  add("wal-syncs", s.wal_syncs);
  add("wal-rolls-after-error", s.wal_rolls_after_error);
  add("wal-torn-tail-bytes", s.torn_tail_bytes);
  add("wal-skipped-records", s.skipped_records);
  add("recovered-records", s.recovered_records);
  add("flushes", s.flushes);
  add("flush-bytes", s.flush_bytes);
  add("flush-failures", s.flush_failures);
  add("compactions", s.compactions);
  add("trivial-moves", s.trivial_moves);
  add("read-triggered-compactions", s.read_triggered_compactions);
  add("compaction-read-bytes", s.compaction_read_bytes);
  add("compaction-write-bytes", s.compaction_write_bytes);
  add("compaction-failures", s.compaction_failures);
  add("compactions-refused-for-space", s.compactions_refused_for_space);
  add("compaction-filter-removed", stats_filter_removed_.load());
  add("compaction-filter-changed", stats_filter_changed_.load());
  add("stall-micros", s.stall_micros);
  add("write-slowdowns", s.slowdowns);
  add("write-stops", s.stops);
  add("write-fence", fenced_.is_ok() ? "none" : fenced_.to_string());
  add("flush-error", flush_error_.is_ok() ? "none" : flush_error_.to_string());
  add("compaction-error", compaction_error_.is_ok() ? "none" : compaction_error_.to_string());
  return m;
}

std::string DBImpl::stats_string_locked() {
  auto m = stats_map_locked();
  auto value = [&](std::string_view name) -> std::string {
    for (const auto& [k, v] : m) {
      if (k == name) return v;
    }
    return "?";
  };
  std::string out = fmt::format("pairdb engine stats for {}\n", path_);
  out += "level  files        bytes       target  score  written\n";
  for (int level = 0; level < kNumLevels; ++level) {
    auto v = [&](std::string_view field) { return value(fmt::format("level{}.{}", level, field)); };
    out += fmt::format("L{:<5}{:>6} {:>12} {:>12} {:>6} {:>8}\n", level, v("files"), v("bytes"),
                       v("target-bytes"), v("score"), v("written-bytes"));
  }
  out += fmt::format("sequence {}, memtables {} bytes, pending compaction {} bytes\n",
                     value("sequence"), value("memtable-bytes"), value("pending-compaction-bytes"));
  out += fmt::format("write amplification {} ({} disk bytes / {} user bytes)\n",
                     value("write-amplification"), value("disk-bytes-written"),
                     value("user-bytes-written"));
  out += fmt::format("read amplification {} tables per get over {} gets (worst case {})\n",
                     value("read-amplification"), value("gets"), value("read-amplification-worst"));
  out += fmt::format(
      "bloom filters: {} checked, {} useful; block cache: {} hits, {} misses, {} / "
      "{} bytes\n",
      value("bloom-checked"), value("bloom-useful"), value("block-cache-hits"),
      value("block-cache-misses"), value("block-cache-usage-bytes"),
      value("block-cache-capacity-bytes"));
  out += fmt::format("writes: {} batches, {} WAL records, {} WAL bytes, {} syncs\n",
                     value("write-batches"), value("wal-records"), value("wal-bytes"),
                     value("wal-syncs"));
  out += fmt::format(
      "flushes {} ({} bytes, {} failed); compactions {} (+{} trivial moves; {} for reads; {} "
      "read, {} written, {} failed, {} refused for disk space)\n",
      value("flushes"), value("flush-bytes"), value("flush-failures"), value("compactions"),
      value("trivial-moves"), value("read-triggered-compactions"), value("compaction-read-bytes"),
      value("compaction-write-bytes"), value("compaction-failures"),
      value("compactions-refused-for-space"));
  out += fmt::format("stalls: {} us, {} slowdowns, {} stops\n", value("stall-micros"),
                     value("write-slowdowns"), value("write-stops"));
  out += fmt::format("recovery: {} records replayed, {} torn-tail bytes, {} records skipped\n",
                     value("recovered-records"), value("wal-torn-tail-bytes"),
                     value("wal-skipped-records"));
  out += fmt::format("errors: fence {}; flush {}; compaction {}\n", value("write-fence"),
                     value("flush-error"), value("compaction-error"));
  return out;
}

std::optional<std::string> DBImpl::get_property(std::string_view name) {
  std::lock_guard lock(mutex_);
  constexpr std::string_view kPrefix = "pairdb.";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  if (name == "stats") return stats_string_locked();
  auto m = stats_map_locked();
  if (name == "stats-map") {
    std::string out;
    for (const auto& [k, v] : m) out += fmt::format("{} {}\n", k, v);
    return out;
  }
  constexpr std::string_view kLevelFiles = "num-files-at-level";
  std::string key(name);
  if (name.starts_with(kLevelFiles))
    key = fmt::format("level{}.files", name.substr(kLevelFiles.size()));
  if (name == "write-fence") return fenced_.is_ok() ? "" : fenced_.to_string();
  for (const auto& [k, v] : m) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Status destroy_db(const Options& options, const std::string& path) {
  Env* env = options.env != nullptr ? options.env : posix_env();
  auto names = env->list_dir(path);
  if (!names.is_ok()) return Status::ok();  // Nothing to destroy.
  PAIRDB_ASSIGN_OR_RETURN(auto lock, env->lock_file(lock_file_name(path)));
  Status result;
  for (const auto& name : *names) {
    auto parsed = parse_file_name(name);
    if (!parsed || parsed->type == FileType::kLock) continue;
    Status s = env->remove_file(path + "/" + name);
    if (result.is_ok() && !s.is_ok()) result = s;
  }
  return result;
}

}  // namespace pairdb::lsm
