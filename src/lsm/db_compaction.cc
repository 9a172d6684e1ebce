// DBImpl's compactions: the background loop, manual compact_range, and the merge itself.
#include <fmt/format.h>

#include "lsm/db_impl.h"
#include "lsm/filename.h"
#include "lsm/merging_iterator.h"
#include "lsm/table_builder.h"

namespace pairdb::lsm {

// The output table being written by a compaction.
struct CompactionOutput {
  FileMetaData meta;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;
};

bool DBImpl::compaction_pending_locked() const {
  return current_scores_.best_level >= 0 || picker_->read_compaction_requested();
}

bool DBImpl::compaction_wanted_locked() const {
  return fenced_.is_ok() && !compaction_running_ && manual_compactions_waiting_ == 0 &&
         compaction_pending_locked();
}

void DBImpl::note_read_budget_spent(const ReadCharge& charge) {
  std::lock_guard lock(mutex_);
  // A table compacted away meanwhile needs nothing more.
  if (!versions_->current()->holds(charge.level, charge.file->number)) return;
  picker_->request_read_compaction(charge.level, charge.file->number);
  // Inline mode runs it with the next flush; the background thread runs it now.
  if (!options_.inline_background_work) background_work_cv_.notify_all();
}

void DBImpl::compaction_loop() {
  run_background_loop([&] { return compaction_wanted_locked(); },
                      [&](std::unique_lock<std::mutex>& lock) {
                        return run_compaction_locked(lock, picker_->pick(versions_->current()));
                      });
}

// Runs compactions on this thread until every level is within its target (inline mode).
void DBImpl::compact_inline_locked(std::unique_lock<std::mutex>& lock) {
  PAIRDB_ASSERT(options_.inline_background_work);
  while (fenced_.is_ok() && compaction_pending_locked()) {
    if (!run_compaction_locked(lock, picker_->pick(versions_->current())).is_ok()) return;
  }
}

Status DBImpl::run_compaction_locked(std::unique_lock<std::mutex>& lock,
                                     std::unique_ptr<Compaction> c) {
  if (c == nullptr) return Status::ok();
  PAIRDB_ASSERT(!compaction_running_);
  compaction_running_ = true;
  Status s = c->is_trivial_move() ? move_file_locked(lock, *c) : compact_locked(lock, *c);
  compaction_running_ = false;
  if (s.is_ok()) {
    compaction_error_ = Status::ok();
  } else if (fenced_.is_ok() && !shutting_down_) {
    compaction_error_ = s;
    ++stats_.compaction_failures;
    log(LogLevel::kError, fmt::format("compaction L{} -> L{} failed (will retry): {}", c->level(),
                                      c->output_level(), s.to_string()));
  }
  background_done_cv_.notify_all();
  background_work_cv_.notify_all();
  return s;
}

Status DBImpl::move_file_locked(std::unique_lock<std::mutex>& lock, const Compaction& c) {
  const FileMetaData& file = *c.inputs(0).front();
  VersionEdit edit;
  edit.remove_file(c.level(), file.number);
  edit.add_file(c.output_level(), file);
  PAIRDB_TRY(install_edit_locked(&edit, lock));
  ++stats_.trivial_moves;
  if (c.read_triggered()) ++stats_.read_triggered_compactions;
  return Status::ok();
}

Status DBImpl::compact_locked(std::unique_lock<std::mutex>& lock, const Compaction& c) {
  auto free_bytes = options_.env->free_disk_bytes(path_);
  const uint64_t needed = c.input_bytes() + options_.compaction_free_disk_reserve_bytes;
  if (free_bytes.is_ok() && *free_bytes < needed) {
    ++stats_.compactions_refused_for_space;
    return Status::no_space(fmt::format(
        "compaction L{} -> L{} of {} bytes not started: {} bytes free on disk, {} needed",
        c.level(), c.output_level(), c.input_bytes(), *free_bytes, needed));
  }
  const SequenceNumber smallest_snapshot =
      snapshots_.empty() ? versions_->last_sequence() : snapshots_.front()->sequence();
  std::vector<FileMetaData> outputs;
  lock.unlock();
  Status s = merge_compaction_inputs(c, smallest_snapshot, &outputs);
  if (s.is_ok() && !outputs.empty()) s = options_.env->sync_dir(path_);
  lock.lock();

  uint64_t written = 0;
  for (const auto& out : outputs) written += out.file_size;
  if (s.is_ok()) {
    VersionEdit edit;
    for (int which = 0; which < 2; ++which) {
      int level = which == 0 ? c.level() : c.output_level();
      for (const auto& f : c.inputs(which)) edit.remove_file(level, f->number);
    }
    for (const auto& out : outputs) edit.add_file(c.output_level(), out);
    s = install_edit_locked(&edit, lock);
  }
  for (const auto& out : outputs) {
    pending_outputs_.erase(out.number);
    if (!s.is_ok()) {
      table_cache_->evict(out.number);
      (void)options_.env->remove_file(table_file_name(path_, out.number));
    }
  }
  if (!s.is_ok()) return s;
  ++stats_.compactions;
  if (c.read_triggered()) ++stats_.read_triggered_compactions;
  stats_.compaction_read_bytes += c.input_bytes();
  stats_.compaction_write_bytes += written;
  stats_.level_write_bytes[c.output_level()] += written;
  delete_obsolete_files_locked(/*at_open=*/false);
  return Status::ok();
}

Status DBImpl::open_compaction_output(CompactionOutput* out) {
  {
    std::lock_guard lock(mutex_);
    out->meta = FileMetaData();
    out->meta.number = versions_->new_file_number();
    pending_outputs_.insert(out->meta.number);
  }
  PAIRDB_ASSIGN_OR_RETURN(
      out->file, options_.env->new_writable_file(table_file_name(path_, out->meta.number)));
  out->builder = std::make_unique<TableBuilder>(table_options_, out->file.get());
  return Status::ok();
}

// Finishes, syncs and verifies the current output, appending it to `outputs`.
Status DBImpl::finish_compaction_output(CompactionOutput* out, std::vector<FileMetaData>* outputs) {
  Status s = out->builder->finish();
  if (s.is_ok()) s = out->file->sync();
  if (s.is_ok()) s = out->file->close();
  out->meta.file_size = out->builder->file_size();
  out->builder.reset();
  out->file.reset();
  outputs->push_back(out->meta);  // Listed even on failure, so the caller removes the file.
  if (s.is_ok()) s = table_cache_->find(out->meta.number, out->meta.file_size).status();
  return s;
}

// One merged stream over every input table of the compaction.
Result<std::unique_ptr<Iterator>> DBImpl::compaction_input(const Compaction& c) {
  std::vector<std::unique_ptr<Iterator>> children;
  for (int which = 0; which < 2; ++which) {
    for (const auto& f : c.inputs(which)) {
      PAIRDB_ASSIGN_OR_RETURN(auto table, table_cache_->find(f->number, f->file_size));
      children.push_back(table->new_iterator());
    }
  }
  return new_merging_iterator(&internal_comparator_, std::move(children));
}

// Asks the compaction filter about the newest visible value of a key. Returns false when the
// entry is to vanish outright; otherwise *key and *value are what to write (a changed value, or
// a tombstone hiding older versions in deeper levels), backed by *new_value / *rewritten_key.
bool DBImpl::apply_compaction_filter(Compaction& c, const ParsedInternalKey& ikey,
                                     std::string_view* key, std::string_view* value,
                                     std::string* new_value, std::string* rewritten_key) {
  CompactionFilter* filter = options_.compaction_filter.get();
  switch (filter->filter(c.output_level(), ikey.user_key, *value, new_value)) {
    case CompactionFilter::Decision::kKeep:
      return true;
    case CompactionFilter::Decision::kChangeValue:
      *value = *new_value;
      ++stats_filter_changed_;
      return true;
    case CompactionFilter::Decision::kRemove:
      ++stats_filter_removed_;
      if (c.is_base_level_for_key(ikey.user_key)) return false;
      // Older versions may sit in deeper levels: leave a tombstone to hide them.
      *rewritten_key = make_internal_key(ikey.user_key, ikey.sequence, ValueType::kDeletion);
      *key = *rewritten_key;
      *value = {};
      return true;
  }
  return true;
}

// Appends one entry to the current output table, opening one when none is open.
Status DBImpl::add_compaction_entry(CompactionOutput* out, std::string_view key,
                                    std::string_view value) {
  if (!out->builder) PAIRDB_TRY(open_compaction_output(out));
  if (out->meta.smallest.empty()) out->meta.smallest.assign(key);
  out->meta.largest.assign(key);
  out->builder->add(key, value);
  return Status::ok();
}

// Merges the inputs into new tables of at most target_file_bytes (cut only between user keys),
// dropping what no reader can see: versions shadowed below the oldest snapshot, and
// tombstones with nothing left beneath them. Runs without the DB mutex.
Status DBImpl::merge_compaction_inputs(const Compaction& const_c, SequenceNumber smallest_snapshot,
                                       std::vector<FileMetaData>* outputs) {
  Compaction& c = const_cast<Compaction&>(const_c);  // Only its cursors advance.
  PAIRDB_ASSIGN_OR_RETURN(auto input, compaction_input(c));
  const Comparator* ucmp = options_.comparator;
  const bool filtering = options_.compaction_filter != nullptr;
  CompactionOutput out;
  std::string current_user_key, new_value, rewritten_key;
  bool has_current = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  Status s;
  for (input->seek_to_first(); s.is_ok() && input->valid(); input->next()) {
    if (shutting_down_flag_.load(std::memory_order_relaxed)) {
      s = Status::busy("compaction abandoned: the database is closing");
      break;
    }
    std::string_view key = input->key();
    ParsedInternalKey ikey;
    if (!parse_internal_key(key, &ikey)) {
      s = Status::corruption("malformed internal key in a compaction input");
      break;
    }
    if (!has_current || ucmp->compare(ikey.user_key, current_user_key) != 0) {
      current_user_key.assign(ikey.user_key);
      has_current = true;
      last_sequence_for_key = kMaxSequenceNumber;
      const bool cut = c.should_stop_before(key);
      if (out.builder && (cut || out.builder->file_size() >= options_.target_file_bytes)) {
        s = finish_compaction_output(&out, outputs);
        if (!s.is_ok()) break;
      }
    }
    // A newer entry of this key visible to every reader shadows this one; a tombstone that old
    // with nothing below it goes too (and the later entries of its key with it).
    const bool drop = last_sequence_for_key <= smallest_snapshot ||
                      (ikey.type == ValueType::kDeletion && ikey.sequence <= smallest_snapshot &&
                       c.is_base_level_for_key(ikey.user_key));
    const bool newest_of_key = last_sequence_for_key == kMaxSequenceNumber;
    last_sequence_for_key = ikey.sequence;
    if (drop) continue;
    std::string_view value = input->value();
    if (filtering && newest_of_key && ikey.type == ValueType::kValue &&
        ikey.sequence <= smallest_snapshot &&
        !apply_compaction_filter(c, ikey, &key, &value, &new_value, &rewritten_key)) {
      continue;
    }
    s = add_compaction_entry(&out, key, value);
  }
  if (s.is_ok()) s = input->status();
  if (out.builder) {
    if (s.is_ok()) {
      s = finish_compaction_output(&out, outputs);
    } else {
      out.builder->abandon();
      outputs->push_back(out.meta);
    }
  }
  return s;
}

Status DBImpl::compact_range(const std::string* begin, const std::string* end) {
  PAIRDB_TRY(flush());
  std::unique_lock lock(mutex_);
  ++manual_compactions_waiting_;
  background_done_cv_.wait(lock, [&] { return !compaction_running_ || shutting_down_; });
  Status s;
  int deepest = -1;
  for (int level = 0; level < kNumLevels; ++level) {
    if (!versions_->current()->files(level).empty()) deepest = level;
  }
  for (int level = 0; level <= deepest && s.is_ok(); ++level) {
    if (shutting_down_) {
      s = Status::busy("the database is closing");
      break;
    }
    int output = std::min(level + 1, kNumLevels - 1);
    s = run_compaction_locked(lock,
                              picker_->pick_range(versions_->current(), level, output, begin, end));
  }
  --manual_compactions_waiting_;
  background_work_cv_.notify_all();
  if (!s.is_ok()) return s;
  return fenced_;
}

}  // namespace pairdb::lsm
