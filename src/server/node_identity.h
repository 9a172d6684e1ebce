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

// The node's tokens from the system table, or `count` fresh random ones persisted there.
Result<std::vector<ring::Token>> load_or_create_tokens(lsm::DB* db, size_t count, uint64_t seed);

}  // namespace pairdb::server
