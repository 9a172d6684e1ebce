#include "replication/repair_responder.h"

#include <algorithm>

#include <fmt/format.h>

#include "replication/repair_tree.h"

// g++ 12 warns that moving a Result<RepairReply> holding RepairPushReply may read the vector
// members of the other alternatives (a known false positive of -Wmaybe-uninitialized with
// std::variant at -O2); nothing reads them.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace pairdb::replication {

RepairResponder::RepairResponder(RepairStorage* storage, TableModes modes, RepairListener* listener,
                                 RepairResponderConfig config)
    : storage_(storage), modes_(std::move(modes)), listener_(listener), config_(config) {}

Result<RepairReply> RepairResponder::handle(const RepairRequest& request, Instant now) {
  return std::visit(
      [&](const auto& r) -> Result<RepairReply> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, RepairTreeRequest>) return on_tree(r, now);
        if constexpr (std::is_same_v<T, RepairLeavesRequest>) return on_leaves(r, now);
        if constexpr (std::is_same_v<T, RepairFetchRequest>) return on_fetch(r, now);
        if constexpr (std::is_same_v<T, RepairPushRequest>) return on_push(r);
        if constexpr (std::is_same_v<T, RepairDoneRequest>) return on_done(r);
      },
      request);
}

Status RepairResponder::check_scope(const RepairScope& scope) const {
  if (scope.depth > kMerkleDepthMax) {
    return Status::invalid_argument(
        fmt::format("repair tree depth {} exceeds {}", scope.depth, kMerkleDepthMax));
  }
  if (scope.table == kSystemTableId || scope.table > kTableIdMax || !modes_(scope.table)) {
    return Status::table_not_found(fmt::format("no table with id {} to repair", scope.table));
  }
  return Status::ok();
}

Status RepairResponder::check_leaves(const RepairScope& scope,
                                     const std::vector<uint32_t>& leaves) const {
  if (leaves.size() > config_.leaves_max) {
    return Status::invalid_argument("too many leaves asked for in one request");
  }
  const uint64_t leaf_count = uint64_t{1} << scope.depth;
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i] >= leaf_count) {
      return Status::invalid_argument(fmt::format("leaf {} out of range", leaves[i]));
    }
    if (i > 0 && leaves[i] <= leaves[i - 1]) {
      return Status::invalid_argument("repair leaves must be strictly ascending");
    }
  }
  return Status::ok();
}

Result<const MerkleTree*> RepairResponder::tree_for(const RepairScope& scope, Instant now) {
  PAIRDB_TRY(check_scope(scope));
  // Forget trees nobody asked about for a while.
  for (auto it = trees_.begin(); it != trees_.end();) {
    it = now - it->second.last_used > config_.tree_idle ? trees_.erase(it) : std::next(it);
  }
  auto found = trees_.find(scope.sync_id);
  if (found != trees_.end() && found->second.scope == scope) {
    found->second.last_used = now;
    return found->second.tree.get();
  }
  PAIRDB_ASSIGN_OR_RETURN(std::vector<HashedRecord> records,
                          hash_range(*storage_, scope.table, scope.range));
  auto tree = std::make_unique<MerkleTree>(tree_of(scope.range, scope.depth, records));
  ++trees_built_;
  while (trees_.size() >= config_.trees_max) {
    auto oldest = std::min_element(trees_.begin(), trees_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    trees_.erase(oldest);
  }
  const MerkleTree* out = tree.get();
  trees_[scope.sync_id] = CachedTree{scope, std::move(tree), now};
  return out;
}

Result<RepairReply> RepairResponder::on_tree(const RepairTreeRequest& request, Instant now) {
  if (request.nodes.size() > config_.nodes_max) {
    return Status::invalid_argument("too many tree nodes asked for in one request");
  }
  PAIRDB_ASSIGN_OR_RETURN(const MerkleTree* tree, tree_for(request.scope, now));
  RepairTreeReply reply;
  reply.records = tree->records();
  reply.hashes.reserve(request.nodes.size());
  const uint64_t nodes_end = uint64_t{2} << tree->depth();
  for (uint32_t node : request.nodes) {
    if (node == 0 || node >= nodes_end) {
      return Status::invalid_argument(fmt::format("tree node {} out of range", node));
    }
    reply.hashes.push_back(tree->hash(node));
  }
  return RepairReply(std::move(reply));
}

Result<RepairReply> RepairResponder::on_leaves(const RepairLeavesRequest& request, Instant now) {
  PAIRDB_TRY(check_scope(request.scope));
  PAIRDB_TRY(check_leaves(request.scope, request.leaves));
  (void)now;  // Listing leaves needs their token ranges only, not the tree.
  RepairLeavesReply reply;
  PAIRDB_TRY(scan_leaves(
      *storage_, request.scope.table, request.scope.range, request.scope.depth, request.leaves,
      [&](uint32_t, std::string_view key, std::string_view record) {
        if (reply.entries.size() >= config_.leaf_entries_max) {
          return Status::too_large("the leaves asked for hold too many records for one reply");
        }
        reply.entries.push_back(
            RepairLeafEntry{storage_key_hash(key), stored_record_digest(record)});
        return Status::ok();
      }));
  return RepairReply(std::move(reply));
}

Result<RepairReply> RepairResponder::on_fetch(const RepairFetchRequest& request, Instant now) {
  if (request.leaves.size() > config_.leaves_max ||
      request.key_hashes.size() > config_.key_hashes_max) {
    return Status::invalid_argument("too many leaves or keys asked for in one request");
  }
  if (!std::is_sorted(request.key_hashes.begin(), request.key_hashes.end())) {
    return Status::invalid_argument("repair fetch key hashes are not sorted");
  }
  PAIRDB_TRY(check_scope(request.scope));
  PAIRDB_TRY(check_leaves(request.scope, request.leaves));
  (void)now;
  const size_t bytes_max = std::min(request.bytes_max, config_.fetch_bytes_max);
  RepairFetchReply reply;
  size_t bytes = 0;
  const Status stopped_early = Status::busy("fetch reply full");
  const Status scanned =
      scan_leaves(*storage_, request.scope.table, request.scope.range, request.scope.depth,
                  request.leaves, [&](uint32_t, std::string_view key, std::string_view record) {
                    if (!std::binary_search(request.key_hashes.begin(), request.key_hashes.end(),
                                            storage_key_hash(key))) {
                      return Status::ok();
                    }
                    if (!reply.items.empty() && bytes + key.size() + record.size() > bytes_max) {
                      reply.truncated = true;
                      return stopped_early;
                    }
                    bytes += key.size() + record.size();
                    reply.items.push_back(RepairItem{std::string(key), std::string(record)});
                    return Status::ok();
                  });
  if (!scanned.is_ok() && !reply.truncated) return scanned;
  return RepairReply(std::move(reply));
}

Result<RepairReply> RepairResponder::on_push(const RepairPushRequest& request) {
  const std::optional<ConflictMode> mode =
      request.table == kSystemTableId ? std::nullopt : modes_(request.table);
  if (!mode) return Status::table_not_found(fmt::format("no table with id {}", request.table));
  RepairPushReply reply;
  for (const RepairItem& item : request.items) {
    auto table = table_of_key(item.storage_key);
    if (!table.is_ok() || *table != request.table) {
      return Status::invalid_argument("a pushed record's key is not of the table being repaired");
    }
    PAIRDB_ASSIGN_OR_RETURN(bool changed, storage_->merge(item.storage_key, item.record, *mode));
    reply.changed += changed;
    records_merged_ += changed;
  }
  if (reply.changed > 0) PAIRDB_TRY(storage_->sync());
  RepairReply out(std::in_place_type<RepairPushReply>, reply);
  return out;
}

Result<RepairReply> RepairResponder::on_done(const RepairDoneRequest& request) {
  PAIRDB_TRY(listener_->on_repair_done(request));
  RepairReply reply(std::in_place_type<RepairDoneReply>);
  return reply;
}

}  // namespace pairdb::replication
