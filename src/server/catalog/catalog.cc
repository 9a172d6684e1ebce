#include "server/catalog/catalog.h"

#include <fmt/format.h>

#include <algorithm>

#include <pairdb/lsm/iterator.h>
#include <pairdb/lsm/write_batch.h>

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"

namespace pairdb::server {
namespace {

using replication::kSystemTableId;
using replication::TableId;

// System-table partitions. Each catalog fact is one item of the system table.
constexpr std::string_view kTablesPartition = "catalog.tables";
constexpr std::string_view kDroppedPartition = "catalog.dropped";
constexpr std::string_view kVersionPartition = "catalog.version";

std::string id_bytes(TableId id) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

std::string version_key() {
  return replication::encode_item_key(kSystemTableId, kVersionPartition, "");
}

std::string dropped_key(TableId id) {
  return replication::encode_item_key(kSystemTableId, kDroppedPartition, id_bytes(id));
}

std::string table_key(std::string_view name) {
  return replication::encode_item_key(kSystemTableId, kTablesPartition, name);
}

// The total order that resolves two live tables with one name: the earlier creation wins, ties
// go to the smaller id, and two versions of one id to the smaller encoding.
bool precedes(const replication::TableInfo& a, const replication::TableInfo& b) {
  if (a.created_at_ms != b.created_at_ms) return a.created_at_ms < b.created_at_ms;
  if (a.id != b.id) return a.id < b.id;
  return replication::encode_table_info(a) < replication::encode_table_info(b);
}

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::open(lsm::DB* db, uint64_t seed) {
  PAIRDB_ASSERT(db != nullptr);
  std::unique_ptr<Catalog> catalog(new Catalog(db, seed));
  PAIRDB_TRY(catalog->load());
  return catalog;
}

Status Catalog::load() {
  std::unique_lock lock(mutex_);
  auto it = db_->new_iterator(lsm::ReadOptions{});
  const std::string tables = replication::encode_partition_prefix(kSystemTableId, kTablesPartition);
  for (it->seek(tables); it->valid() && it->key().starts_with(tables); it->next()) {
    PAIRDB_ASSIGN_OR_RETURN(replication::TableInfo info,
                            replication::decode_table_info(it->value()));
    live_ids_.insert(info.id);
    auto shared = std::make_shared<const replication::TableInfo>(std::move(info));
    by_name_[shared->spec.name] = std::move(shared);
  }
  const std::string dropped =
      replication::encode_partition_prefix(kSystemTableId, kDroppedPartition);
  for (it->seek(dropped); it->valid() && it->key().starts_with(dropped); it->next()) {
    PAIRDB_ASSIGN_OR_RETURN(auto parts, replication::decode_item_key(it->key()));
    if (parts.sort_key.size() != 8) return Status::corruption("catalog: bad dropped-table key");
    TableId id = 0;
    for (char c : parts.sort_key) id = (id << 8) | static_cast<uint8_t>(c);
    dropped_ids_.insert(id);
  }
  PAIRDB_TRY(it->status());
  update_digest();
  auto version = db_->get(lsm::ReadOptions{}, version_key());
  if (version.is_ok()) {
    std::string_view in = *version;
    if (!get_varint64(&in, &schema_version_)) return Status::corruption("catalog: bad version");
  } else if (!version.status().is_not_found()) {
    return version.status();
  }
  return Status::ok();
}

Status Catalog::persist(const replication::TableInfo* created,
                        const replication::TableInfo* dropped, uint64_t version) {
  lsm::WriteBatch batch;
  if (created != nullptr) {
    batch.put(replication::encode_item_key(kSystemTableId, kTablesPartition, created->spec.name),
              replication::encode_table_info(*created));
  }
  if (dropped != nullptr) {
    batch.remove(
        replication::encode_item_key(kSystemTableId, kTablesPartition, dropped->spec.name));
    batch.put(
        replication::encode_item_key(kSystemTableId, kDroppedPartition, id_bytes(dropped->id)),
        replication::encode_table_info(*dropped));
  }
  std::string encoded_version;
  put_varint64(&encoded_version, version);
  batch.put(version_key(), encoded_version);
  lsm::WriteOptions options;
  options.sync = true;  // Schema changes are rare and must survive power loss.
  return db_->write(options, batch);
}

TableId Catalog::fresh_id() {
  for (;;) {
    const TableId id = rng_.next_u64();
    if (id != kSystemTableId && !live_ids_.contains(id) && !dropped_ids_.contains(id)) return id;
  }
}

Result<replication::TableInfo> Catalog::create(const replication::TableSpec& spec,
                                               bool if_not_exists, uint64_t now_ms) {
  PAIRDB_TRY(replication::validate_new_table_spec(spec));
  std::unique_lock lock(mutex_);
  if (auto existing = by_name_.find(spec.name); existing != by_name_.end()) {
    if (if_not_exists) return *existing->second;
    return Status::table_exists(fmt::format("table '{}' already exists", spec.name));
  }
  replication::TableInfo info{spec, fresh_id(), now_ms, schema_version_ + 1};
  PAIRDB_TRY(persist(&info, nullptr, info.schema_version));
  schema_version_ = info.schema_version;
  live_ids_.insert(info.id);
  by_name_[spec.name] = std::make_shared<const replication::TableInfo>(info);
  update_digest();
  return info;
}

Result<replication::TableInfo> Catalog::create_with_id(const replication::TableSpec& spec,
                                                       TableId id) {
  PAIRDB_TRY(replication::validate_new_table_spec(spec));
  std::unique_lock lock(mutex_);
  if (auto existing = by_name_.find(spec.name); existing != by_name_.end()) {
    return *existing->second;
  }
  if (id == kSystemTableId || live_ids_.contains(id) || dropped_ids_.contains(id)) id = fresh_id();
  return insert_locked(replication::TableInfo{spec, id, 0, schema_version_ + 1});
}

Result<replication::TableInfo> Catalog::insert_locked(const replication::TableInfo& info) {
  PAIRDB_ASSERT(!by_name_.contains(info.spec.name));
  PAIRDB_ASSERT(!dropped_ids_.contains(info.id));
  PAIRDB_TRY(persist(&info, nullptr, info.schema_version));
  schema_version_ = info.schema_version;
  live_ids_.insert(info.id);
  by_name_[info.spec.name] = std::make_shared<const replication::TableInfo>(info);
  update_digest();
  return info;
}

Result<replication::TableInfo> Catalog::drop(std::string_view name, bool if_exists) {
  std::unique_lock lock(mutex_);
  auto existing = by_name_.find(std::string(name));
  if (existing == by_name_.end()) {
    if (if_exists) return replication::TableInfo{};
    return Status::table_not_found(fmt::format("table '{}' does not exist", name));
  }
  const replication::TableInfo info = *existing->second;
  PAIRDB_TRY(persist(nullptr, &info, schema_version_ + 1));
  ++schema_version_;
  by_name_.erase(existing);
  live_ids_.erase(info.id);
  dropped_ids_.insert(info.id);
  update_digest();
  return info;
}

namespace {

// One merge worked out on copies of the catalog's sets: the merged sets, the batch that makes
// them durable and how many tables changed. A pure function of the local and remote contents
// (the rules are in catalog.h); Catalog::merge publishes the result once the batch is synced.
struct MergeWork {
  std::unordered_map<std::string, std::shared_ptr<const replication::TableInfo>> by_name;
  std::unordered_set<TableId> live_ids;
  std::unordered_set<TableId> dropped_ids;
  lsm::WriteBatch batch;
  size_t changes = 0;

  void drop_live(const replication::TableInfo info) {  // A copy: erasing frees the shared one.
    by_name.erase(info.spec.name);
    live_ids.erase(info.id);
    mark_dropped(info);
  }

  void mark_dropped(const replication::TableInfo& info) {
    dropped_ids.insert(info.id);
    batch.remove(table_key(info.spec.name));
    batch.put(dropped_key(info.id), replication::encode_table_info(info));
    ++changes;
  }

  void apply_remote_drop(TableId id) {
    if (id == kSystemTableId || dropped_ids.contains(id)) return;
    const auto live = std::find_if(by_name.begin(), by_name.end(),
                                   [id](const auto& entry) { return entry.second->id == id; });
    if (live != by_name.end()) return drop_live(*live->second);
    replication::TableInfo tombstone;
    tombstone.id = id;
    dropped_ids.insert(id);
    batch.put(dropped_key(id), replication::encode_table_info(tombstone));
    ++changes;
  }

  void apply_remote_table(const replication::TableInfo& t) {
    if (dropped_ids.contains(t.id)) return;
    auto same_name = by_name.find(t.spec.name);
    if (same_name != by_name.end()) {
      const replication::TableInfo local = *same_name->second;
      if (local == t || precedes(local, t)) {
        // The local table wins; a remote loser with another id is dropped here too.
        if (local.id != t.id) {
          dropped_ids.insert(t.id);
          batch.put(dropped_key(t.id), replication::encode_table_info(t));
          ++changes;
        }
        return;
      }
      if (local.id != t.id) {
        drop_live(local);
      } else {
        ++changes;  // Same id, the remote version wins: replaced below.
      }
    } else if (live_ids.contains(t.id)) {
      return;  // The same id under another name cannot happen (names never change).
    } else {
      ++changes;
    }
    live_ids.insert(t.id);
    by_name[t.spec.name] = std::make_shared<const replication::TableInfo>(t);
    batch.put(table_key(t.spec.name), replication::encode_table_info(t));
  }
};

Status validate_remote(const CatalogState& remote) {
  for (const replication::TableInfo& t : remote.tables) {
    if (t.id == kSystemTableId) return Status::corruption("catalog merge: a table uses id 0");
    if (Status valid = replication::validate_table_spec(t.spec); !valid.is_ok()) {
      return Status::corruption(fmt::format("catalog merge: {}", valid.message()));
    }
  }
  return Status::ok();
}

}  // namespace

Result<size_t> Catalog::merge(const CatalogState& remote) {
  PAIRDB_TRY(validate_remote(remote));
  std::unique_lock lock(mutex_);
  // Work on copies; publish only after the batch is durable.
  MergeWork work{by_name_, live_ids_, dropped_ids_, {}, 0};
  for (TableId id : remote.dropped) work.apply_remote_drop(id);
  for (const replication::TableInfo& t : remote.tables) work.apply_remote_table(t);
  const uint64_t version = std::max(schema_version_, remote.schema_version);
  if (work.changes == 0 && version == schema_version_) return size_t{0};
  std::string encoded_version;
  put_varint64(&encoded_version, version);
  work.batch.put(version_key(), encoded_version);
  lsm::WriteOptions options;
  options.sync = true;
  PAIRDB_TRY(db_->write(options, work.batch));
  by_name_ = std::move(work.by_name);
  live_ids_ = std::move(work.live_ids);
  dropped_ids_ = std::move(work.dropped_ids);
  schema_version_ = version;
  update_digest();
  return work.changes;
}

CatalogState Catalog::state() const {
  CatalogState out;
  std::shared_lock lock(mutex_);
  out.tables.reserve(by_name_.size());
  for (const auto& [name, info] : by_name_) out.tables.push_back(*info);
  out.dropped.assign(dropped_ids_.begin(), dropped_ids_.end());
  out.schema_version = schema_version_;
  return out;
}

uint64_t Catalog::digest() const {
  std::shared_lock lock(mutex_);
  return digest_;
}

void Catalog::update_digest() {
  std::vector<std::shared_ptr<const replication::TableInfo>> tables;
  tables.reserve(by_name_.size());
  by_id_.clear();
  for (const auto& [name, info] : by_name_) {
    tables.push_back(info);
    by_id_.emplace(info->id, info);
  }
  std::sort(tables.begin(), tables.end(),
            [](const auto& a, const auto& b) { return a->id < b->id; });
  std::vector<TableId> dropped(dropped_ids_.begin(), dropped_ids_.end());
  std::sort(dropped.begin(), dropped.end());
  std::string bytes;
  for (const auto& info : tables) {
    const std::string encoded = replication::encode_table_info(*info);
    put_varint64(&bytes, encoded.size());
    bytes += encoded;
  }
  bytes += '|';
  for (TableId id : dropped) put_fixed64(&bytes, id);
  digest_ = hash64(bytes);
  if (digest_ == 0) digest_ = 1;
}

std::shared_ptr<const replication::TableInfo> Catalog::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<const replication::TableInfo> Catalog::find_by_id(replication::TableId id) const {
  std::shared_lock lock(mutex_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<const replication::TableInfo>> Catalog::require(
    std::string_view name) const {
  auto table = find(name);
  if (!table) return Status::table_not_found(fmt::format("table '{}' does not exist", name));
  return table;
}

std::vector<replication::TableInfo> Catalog::list() const {
  std::vector<replication::TableInfo> out;
  {
    std::shared_lock lock(mutex_);
    out.reserve(by_name_.size());
    for (const auto& [name, info] : by_name_) out.push_back(*info);
  }
  std::sort(out.begin(), out.end(),
            [](const replication::TableInfo& a, const replication::TableInfo& b) {
              return a.spec.name < b.spec.name;
            });
  return out;
}

uint64_t Catalog::schema_version() const {
  std::shared_lock lock(mutex_);
  return schema_version_;
}

bool Catalog::is_dropped(TableId id) const {
  std::shared_lock lock(mutex_);
  return dropped_ids_.contains(id);
}

std::vector<TableId> Catalog::dropped_ids() const {
  std::shared_lock lock(mutex_);
  return {dropped_ids_.begin(), dropped_ids_.end()};
}

}  // namespace pairdb::server
