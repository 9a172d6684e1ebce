#include "lsm/version_set.h"

#include <algorithm>

#include <fmt/format.h>

#include "lsm/filename.h"
#include "lsm/level_iterator.h"
#include "lsm/log_reader.h"
#include "lsm/merging_iterator.h"

namespace pairdb::lsm {

namespace {
// A MANIFEST larger than this is replaced by a fresh one holding a snapshot.
constexpr uint64_t kManifestBytesMax = 64ull << 20;

Result<LookupResult> lookup_in_table(TableCache& tables, const FileMetaData& file,
                                     std::string_view lookup_key) {
  PAIRDB_ASSIGN_OR_RETURN(auto table, tables.find(file.number, file.file_size));
  PAIRDB_ASSIGN_OR_RETURN(auto entry, table->get(lookup_key));
  LookupResult result;
  if (!entry) return result;
  ParsedInternalKey parsed;
  if (!parse_internal_key(entry->internal_key, &parsed)) {
    return Status::corruption(
        fmt::format("malformed internal key in table {:06d}.sst", file.number));
  }
  if (parsed.type == ValueType::kDeletion) {
    result.kind = LookupResult::Kind::kDeleted;
  } else {
    result.kind = LookupResult::Kind::kFound;
    result.value = std::move(entry->value);
  }
  return result;
}
}  // namespace

uint64_t Version::level_bytes(int level) const {
  uint64_t total = 0;
  for (const auto& file : files_[level]) total += file->file_size;
  return total;
}

int64_t read_budget_for(uint64_t file_size) {
  return std::max<int64_t>(100, static_cast<int64_t>(file_size / (16 * 1024)));
}

bool Version::holds(int level, uint64_t number) const {
  const FileList& files = files_[level];
  return std::any_of(files.begin(), files.end(),
                     [number](const auto& file) { return file->number == number; });
}

Result<LookupResult> Version::get(std::string_view user_key, SequenceNumber seq, TableCache& tables,
                                  std::atomic<uint64_t>* tables_probed, ReadCharge* charge) const {
  const FileMetaData* first_probed = nullptr;
  int first_level = -1;
  bool probed_more = false;
  auto probe = [&](const FileMetaData& file, int level, std::string_view lookup_key) {
    if (tables_probed != nullptr) tables_probed->fetch_add(1, std::memory_order_relaxed);
    if (first_probed == nullptr) {
      first_probed = &file;
      first_level = level;
    } else if (!probed_more) {
      probed_more = true;
      if (charge != nullptr) *charge = {first_probed, first_level};
    }
    return lookup_in_table(tables, file, lookup_key);
  };
  std::string lookup_key = make_lookup_key(user_key, seq);
  const InternalKeyComparator& icmp = *tables.options().comparator;
  const Comparator* ucmp = icmp.user_comparator();
  // Level 0 is kept newest first; its files may overlap, so each candidate is probed in order.
  for (const auto& file : files_[0]) {
    if (ucmp->compare(user_key, extract_user_key(file->smallest)) < 0 ||
        ucmp->compare(user_key, extract_user_key(file->largest)) > 0) {
      continue;
    }
    PAIRDB_ASSIGN_OR_RETURN(LookupResult result, probe(*file, 0, lookup_key));
    if (result.kind != LookupResult::Kind::kNotPresent) return result;
  }
  for (int level = 1; level < kNumLevels; ++level) {
    const FileList& files = files_[level];
    auto it = std::lower_bound(files.begin(), files.end(), lookup_key,
                               [&](const auto& file, const std::string& key) {
                                 return icmp.compare(file->largest, key) < 0;
                               });
    if (it == files.end() || ucmp->compare(user_key, extract_user_key((*it)->smallest)) < 0) {
      continue;
    }
    PAIRDB_ASSIGN_OR_RETURN(LookupResult result, probe(**it, level, lookup_key));
    if (result.kind != LookupResult::Kind::kNotPresent) return result;
  }
  return LookupResult{};
}

bool Version::surely_absent(std::string_view user_key, TableCache& tables) const {
  const Comparator* ucmp = tables.options().comparator->user_comparator();
  auto ruled_out = [&](const FileMetaData& file) {
    if (ucmp->compare(user_key, extract_user_key(file.smallest)) < 0 ||
        ucmp->compare(user_key, extract_user_key(file.largest)) > 0) {
      return true;
    }
    auto table = tables.find_open(file.number);
    return table != nullptr && !table->may_contain(user_key);
  };
  for (const auto& file : files_[0]) {
    if (!ruled_out(*file)) return false;
  }
  for (int level = 1; level < kNumLevels; ++level) {
    const FileList& files = files_[level];
    auto it = std::lower_bound(files.begin(), files.end(), user_key,
                               [&](const auto& file, std::string_view key) {
                                 return ucmp->compare(extract_user_key(file->largest), key) < 0;
                               });
    if (it != files.end() && !ruled_out(**it)) return false;
  }
  return true;
}

void Version::add_iterators(TableCache& tables, std::vector<std::unique_ptr<Iterator>>* out) const {
  for (const auto& file : files_[0]) {  // Overlapping: one child per file, newest first.
    auto table = tables.find(file->number, file->file_size);
    out->push_back(table.is_ok() ? (*table)->new_iterator() : new_empty_iterator(table.status()));
  }
  for (int level = 1; level < kNumLevels; ++level) {
    if (files_[level].empty()) continue;
    out->push_back(new_level_iterator(files_[level], &tables, tables.options().comparator));
  }
}

VersionSet::VersionSet(std::string db_path, Env* env, const InternalKeyComparator* comparator)
    : db_path_(std::move(db_path)),
      env_(env),
      comparator_(comparator),
      current_(std::make_shared<Version>()) {}

void VersionSet::mark_file_number_used(uint64_t number) {
  if (next_file_number_ <= number) next_file_number_ = number + 1;
}

void VersionSet::set_last_sequence(SequenceNumber seq) {
  PAIRDB_ASSERT(seq >= last_sequence_);
  PAIRDB_ASSERT(seq <= kMaxSequenceNumber);
  last_sequence_ = seq;
}

Result<std::shared_ptr<Version>> VersionSet::apply(const Version& base,
                                                   const VersionEdit& edit) const {
  auto version = std::make_shared<Version>();
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : base.files_[level]) {
      if (edit.deleted_files().count({level, file->number}) == 0) {
        version->files_[level].push_back(file);
      }
    }
  }
  for (const auto& [level, file] : edit.new_files()) {
    auto added = std::make_shared<FileMetaData>(file);
    added->read_budget.reset(read_budget_for(added->file_size));
    version->files_[level].push_back(std::move(added));
  }
  auto& l0 = version->files_[0];
  std::sort(l0.begin(), l0.end(),
            [](const auto& a, const auto& b) { return a->number > b->number; });
  for (int level = 1; level < kNumLevels; ++level) {
    auto& files = version->files_[level];
    std::sort(files.begin(), files.end(), [&](const auto& a, const auto& b) {
      return comparator_->compare(a->smallest, b->smallest) < 0;
    });
    for (size_t i = 1; i < files.size(); ++i) {
      if (comparator_->user_comparator()->compare(extract_user_key(files[i - 1]->largest),
                                                  extract_user_key(files[i]->smallest)) >= 0) {
        return Status::corruption(fmt::format("overlapping tables {:06d} and {:06d} in level {}",
                                              files[i - 1]->number, files[i]->number, level));
      }
    }
  }
  return version;
}

void VersionSet::install(std::shared_ptr<Version> version) {
  versions_.push_back(version);
  current_ = std::move(version);
}

std::set<uint64_t> VersionSet::live_table_numbers() {
  std::set<uint64_t> live;
  for (auto it = versions_.begin(); it != versions_.end();) {
    auto version = it->lock();
    if (!version) {
      it = versions_.erase(it);
      continue;
    }
    for (const auto& files : version->files_) {
      for (const auto& file : files) live.insert(file->number);
    }
    ++it;
  }
  return live;
}

Status VersionSet::create_new_db() {
  VersionEdit edit;
  edit.set_comparator_name(comparator_->user_comparator()->name());
  edit.set_log_number(0);
  edit.set_next_file_number(2);
  edit.set_last_sequence(0);
  const uint64_t manifest_number = 1;
  std::string path = manifest_file_name(db_path_, manifest_number);
  PAIRDB_ASSIGN_OR_RETURN(auto file, env_->new_writable_file(path));
  LogWriter log(std::move(file));
  Status s = log.add_record(edit.encode());
  if (s.is_ok()) s = log.sync();
  if (s.is_ok()) s = log.close();
  if (s.is_ok()) s = set_current_file(env_, db_path_, manifest_number);
  if (!s.is_ok()) (void)env_->remove_file(path);
  return s.with_context("creating a new database");
}

Status VersionSet::recover() {
  std::string current_path = current_file_name(db_path_);
  PAIRDB_ASSIGN_OR_RETURN(auto current_file, env_->new_sequential_file(current_path));
  char scratch[256];
  PAIRDB_ASSIGN_OR_RETURN(std::string_view current, current_file->read(sizeof(scratch), scratch));
  if (current.size() < 2 || current.back() != '\n' || !current.starts_with("MANIFEST-")) {
    return Status::corruption(fmt::format("{} does not name a MANIFEST", current_path));
  }
  auto parsed_name = parse_file_name(current.substr(0, current.size() - 1));
  if (!parsed_name || parsed_name->type != FileType::kManifest) {
    return Status::corruption(fmt::format("{} names a malformed MANIFEST", current_path));
  }
  std::string manifest_path = manifest_file_name(db_path_, parsed_name->number);
  PAIRDB_ASSIGN_OR_RETURN(auto manifest_file, env_->new_sequential_file(manifest_path));
  LogReader reader(std::move(manifest_file), manifest_path, /*skip_corruption=*/false);

  auto version = std::make_shared<Version>();
  std::optional<uint64_t> log_number, next_file, last_sequence;
  while (true) {
    PAIRDB_ASSIGN_OR_RETURN(auto record, reader.read_record());
    if (!record) break;
    auto edit = VersionEdit::decode(*record);
    if (!edit.is_ok()) return edit.status().with_context(manifest_path);
    if (edit->comparator_name() &&
        *edit->comparator_name() != comparator_->user_comparator()->name()) {
      return Status::invalid_argument(fmt::format("{} was written with comparator {}, not {}",
                                                  manifest_path, *edit->comparator_name(),
                                                  comparator_->user_comparator()->name()));
    }
    auto applied = apply(*version, *edit);
    if (!applied.is_ok()) return applied.status().with_context(manifest_path);
    version = std::move(applied).value();
    if (edit->log_number()) log_number = edit->log_number();
    if (edit->next_file_number()) next_file = edit->next_file_number();
    if (edit->last_sequence()) last_sequence = edit->last_sequence();
  }
  if (!log_number || !next_file || !last_sequence) {
    return Status::corruption(
        fmt::format("{} lacks log number, next file or last sequence", manifest_path));
  }
  // A torn final edit was never applied (log_and_apply had not returned); it is dropped.
  next_file_number_ = *next_file;
  log_number_ = *log_number;
  last_sequence_ = *last_sequence;
  manifest_number_ = parsed_name->number;
  mark_file_number_used(manifest_number_);
  mark_file_number_used(log_number_);
  manifest_.reset();  // The next log_and_apply starts a fresh MANIFEST.
  install(std::move(version));
  return Status::ok();
}

Status VersionSet::write_snapshot(LogWriter* log) const {
  VersionEdit snapshot;
  snapshot.set_comparator_name(comparator_->user_comparator()->name());
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& file : current_->files_[level]) snapshot.add_file(level, *file);
  }
  return log->add_record(snapshot.encode());
}

Status VersionSet::log_and_apply(VersionEdit* edit, std::unique_lock<std::mutex>& lock) {
  PAIRDB_ASSERT(lock.owns_lock());
  if (!edit->log_number()) edit->set_log_number(log_number_);
  PAIRDB_ASSERT(*edit->log_number() >= log_number_);
  const bool start_manifest = !manifest_ || manifest_->size() > kManifestBytesMax;
  const uint64_t manifest_number = start_manifest ? new_file_number() : manifest_number_;
  edit->set_next_file_number(next_file_number_);
  edit->set_last_sequence(last_sequence_);
  PAIRDB_ASSIGN_OR_RETURN(auto version, apply(*current_, *edit));

  std::unique_ptr<LogWriter> fresh;
  std::string fresh_path = manifest_file_name(db_path_, manifest_number);
  Status s;
  if (start_manifest) {
    // The snapshot is written under the lock: current_ only changes in this function, but the
    // edit encodes counters that writers advance.
    auto file = env_->new_writable_file(fresh_path);
    if (!file.is_ok()) return file.status().with_context("starting a new MANIFEST");
    fresh = std::make_unique<LogWriter>(std::move(file).value());
    s = write_snapshot(fresh.get());
  }
  LogWriter* log = start_manifest ? fresh.get() : manifest_.get();
  std::string record = edit->encode();
  lock.unlock();
  if (s.is_ok()) s = log->add_record(record);
  if (s.is_ok()) s = log->sync();
  if (s.is_ok() && start_manifest) s = set_current_file(env_, db_path_, manifest_number);
  lock.lock();

  if (!s.is_ok()) {
    if (start_manifest) (void)env_->remove_file(fresh_path);
    manifest_.reset();  // Possibly holds a partial record: never append to it again.
    return s.with_context(fmt::format("writing MANIFEST-{:06d}", manifest_number));
  }
  if (start_manifest) {
    if (manifest_) (void)manifest_->close();
    manifest_ = std::move(fresh);
    manifest_number_ = manifest_number;
  }
  log_number_ = *edit->log_number();
  install(std::move(version));
  return Status::ok();
}

}  // namespace pairdb::lsm
