// Names of the files in a database directory, and the atomic CURRENT update.
//
//   000007.log       WAL segment 7          000012.sst   SSTable 12
//   MANIFEST-000003  version-edit log 3     CURRENT      names the live MANIFEST
//   LOCK             held while open        000013.dbtmp a temporary file (deleted at open)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pairdb/lsm/env.h>
#include <pairdb/status.h>

namespace pairdb::lsm {

enum class FileType : uint8_t { kWal, kTable, kManifest, kCurrent, kLock, kTemp };

struct ParsedFileName {
  FileType type;
  uint64_t number = 0;
};

std::string wal_file_name(const std::string& db, uint64_t number);
std::string table_file_name(const std::string& db, uint64_t number);
std::string manifest_file_name(const std::string& db, uint64_t number);
std::string temp_file_name(const std::string& db, uint64_t number);
std::string current_file_name(const std::string& db);
std::string lock_file_name(const std::string& db);

// Nullopt for names that are not ours (they are left alone).
std::optional<ParsedFileName> parse_file_name(std::string_view name);

// Points CURRENT at MANIFEST-<manifest_number>: writes a temp file, syncs it, renames it over
// CURRENT and syncs the directory, so CURRENT is always either the old or the new name.
Status set_current_file(Env* env, const std::string& db, uint64_t manifest_number);

}  // namespace pairdb::lsm
