#include "lsm/filename.h"

#include <charconv>

#include <fmt/format.h>

namespace pairdb::lsm {

std::string wal_file_name(const std::string& db, uint64_t number) {
  return fmt::format("{}/{:06d}.log", db, number);
}
std::string table_file_name(const std::string& db, uint64_t number) {
  return fmt::format("{}/{:06d}.sst", db, number);
}
std::string manifest_file_name(const std::string& db, uint64_t number) {
  return fmt::format("{}/MANIFEST-{:06d}", db, number);
}
std::string temp_file_name(const std::string& db, uint64_t number) {
  return fmt::format("{}/{:06d}.dbtmp", db, number);
}
std::string current_file_name(const std::string& db) { return db + "/CURRENT"; }
std::string lock_file_name(const std::string& db) { return db + "/LOCK"; }

namespace {

std::optional<uint64_t> parse_number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ParsedFileName> parse_file_name(std::string_view name) {
  if (name == "CURRENT") return ParsedFileName{FileType::kCurrent, 0};
  if (name == "LOCK") return ParsedFileName{FileType::kLock, 0};
  if (name.starts_with("MANIFEST-")) {
    auto number = parse_number(name.substr(9));
    if (!number) return std::nullopt;
    return ParsedFileName{FileType::kManifest, *number};
  }
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto number = parse_number(name.substr(0, dot));
  if (!number) return std::nullopt;
  std::string_view suffix = name.substr(dot);
  if (suffix == ".log") return ParsedFileName{FileType::kWal, *number};
  if (suffix == ".sst") return ParsedFileName{FileType::kTable, *number};
  if (suffix == ".dbtmp") return ParsedFileName{FileType::kTemp, *number};
  return std::nullopt;
}

Status set_current_file(Env* env, const std::string& db, uint64_t manifest_number) {
  std::string contents = fmt::format("MANIFEST-{:06d}\n", manifest_number);
  std::string tmp = temp_file_name(db, manifest_number);
  PAIRDB_ASSIGN_OR_RETURN(auto file, env->new_writable_file(tmp));
  Status s = file->append(contents);
  if (s.is_ok()) s = file->sync();
  if (s.is_ok()) s = file->close();
  if (s.is_ok()) s = env->rename_file(tmp, current_file_name(db));
  if (s.is_ok()) s = env->sync_dir(db);
  if (!s.is_ok()) (void)env->remove_file(tmp);
  return s.with_context("updating CURRENT");
}

}  // namespace pairdb::lsm
