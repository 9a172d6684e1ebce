// The node's identity, chosen once at first start and kept in the data directory: the node id
// (a UUID in the file `node_id`) and its ring tokens (in the system table of the LSM, written
// with the catalog's durability).
#pragma once

#include <string>
#include <vector>

#include <pairdb/lsm/db.h>
#include <pairdb/ring/types.h>
#include <pairdb/status.h>

namespace pairdb::server {

// Reads <data_dir>/node_id, or creates it (write to a temporary file, fsync, rename, fsync the
// directory) with a fresh random UUID. Status::corruption for a file that is not a UUID.
Result<ring::NodeId> load_or_create_node_id(const std::string& data_dir);

// The keys that authenticate causal contexts (pairdb/replication/context_auth.h), first = the
// signing key. From `key_file` when set (node.context_key_file: every node of a cluster must be
// given the same file); otherwise from <data_dir>/context.key, created at first start with a
// fresh random key (mode 0600), which suits a single node. Status::invalid_argument for an
// unreadable or malformed key file.
inline constexpr std::string_view kContextKeyFileName = "context.key";
Result<std::vector<std::string>> load_or_create_context_keys(const std::string& data_dir,
                                                             const std::string& key_file);

// The node's tokens from the system table, or (a new data directory) `initial` when not empty,
// else `count` fresh random ones, persisted there.
Result<std::vector<ring::Token>> load_or_create_tokens(
    lsm::DB* db, size_t count, uint64_t seed, const std::vector<ring::Token>& initial = {});

// Parses node.initial_tokens: comma-separated tokens, decimal or 0x hex, distinct, at most
// ring::kTokensPerNodeMax. Empty text gives no tokens. Status::invalid_argument otherwise.
Result<std::vector<ring::Token>> parse_initial_tokens(std::string_view text);

// The id this replica mints dots with (its "writer id") for this run of the process.
//
// A dot (writer, counter) must never name two different writes. The counter comes from the
// replica's stored record, so a replica that loses acknowledged-but-unsynced WAL records in a
// crash (wal_sync "none" or "periodic") would count again from an older value and re-mint dots
// its peers already hold for other writes, and the merge would drop one of the two. With
// `wal_may_lose_writes` a start that follows a crash (not `after_clean_stop`) mints under a
// fresh writer id: the node id with its last four bytes replaced by an incarnation counter,
// kept in the system table and synced before use (so it never repeats, even across crashes);
// a start after a clean stop (every dot of the last run synced) keeps the last writer id.
// Version vectors thus gain one entry per crash of the node (for the items written since).
// With wal_sync "always" nothing acknowledged is ever lost, and the writer id is the node id.
// A data directory restored from a backup rolls the counter back: give it a new node id.
Result<ring::NodeId> writer_id_for_this_start(lsm::DB* db, const ring::NodeId& node,
                                              bool wal_may_lose_writes, bool after_clean_stop);

// The clean-stop mark: written (durably) once the engine closed with its WAL synced, taken
// (removed, durably) at the next start, which learns from it whether the last run stopped
// cleanly. A crash leaves no mark.
inline constexpr std::string_view kCleanShutdownFileName = "clean_shutdown";
Status mark_clean_shutdown(const std::string& data_dir);
// True when the mark was there (and is now removed); false when there was none.
Result<bool> take_clean_shutdown_mark(const std::string& data_dir);

}  // namespace pairdb::server
