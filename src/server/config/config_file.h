// Applies a TOML config document (conf/pairdb.toml's format) to a NodeConfig, key by key,
// through the descriptor table. Stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <pairdb/status.h>

#include "server/config/config.h"

namespace pairdb::server {

inline constexpr size_t kConfigFileBytesMax = 1 << 20;

// Sets every key present in `text` and leaves the others untouched. Errors are
// Status::invalid_argument "<source_name>:<line>:<column>: <table.key>: <problem>" for unknown
// tables and keys, wrong types and out-of-range values, or the TOML syntax error.
Status apply_toml_text(std::string_view text, std::string_view source_name, NodeConfig& config);

// Reads `path` (at most kConfigFileBytesMax bytes) and applies it as above.
Status apply_toml_file(const std::string& path, NodeConfig& config);

}  // namespace pairdb::server
