// The table of config keys behind NodeConfig: for each key its TOML table and name, its kind,
// its accessor into NodeConfig and its valid range. The file loader, the flag parser,
// validate_config() and dump_config() all walk this one table. Private to src/server.
//
// The table is immutable static data, safe to read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <pairdb/status.h>

#include "server/config/config.h"

namespace pairdb::server {

enum class KeyKind : uint8_t { kString, kUint, kEnum, kHostPort, kHostPortList };

// What a string key may hold.
enum class StringRule : uint8_t {
  kPath,  // Any bytes but NUL; empty means "use the default".
  kName,  // 1 to kConfigNameBytesMax bytes of [A-Za-z0-9_.-].
};

inline constexpr size_t kConfigNameBytesMax = 64;
inline constexpr size_t kGossipSeedsMax = 16;  // gossip::kSeedsMax: SwimCore contacts each.

// An enum key as an index into its names (the enum's values are 0..names.size()-1 in order).
struct EnumAccess {
  std::span<const std::string_view> names;
  size_t (*get)(const NodeConfig&) = nullptr;
  void (*set)(NodeConfig&, size_t) = nullptr;
};

// Exactly the accessor matching `kind` is set.
struct KeyDescriptor {
  std::string_view table;
  std::string_view key;
  KeyKind kind = KeyKind::kString;
  std::string_view doc;         // One line, for --help.
  std::string_view flag_alias;  // A short flag scripts use ("--listen"), or empty.

  std::string* (*string_field)(NodeConfig&) = nullptr;
  StringRule string_rule = StringRule::kName;
  uint64_t* (*uint_field)(NodeConfig&) = nullptr;
  uint64_t min = 0;  // Inclusive bounds of a kUint key.
  uint64_t max = 0;
  EnumAccess enum_access;
  HostPort* (*host_port_field)(NodeConfig&) = nullptr;
  std::vector<HostPort>* (*host_port_list_field)(NodeConfig&) = nullptr;

  std::string path() const;  // "table.key"
};

// Every key, grouped by table in the order of conf/pairdb.toml.
std::span<const KeyDescriptor> key_descriptors();
// Null when `table.key` is unknown.
const KeyDescriptor* find_key(std::string_view table, std::string_view key);
bool is_known_table(std::string_view table);

// A value as read from a file or a flag, before it is checked against its key.
using KeyValue = std::variant<uint64_t, std::string, std::vector<std::string>>;

// Checks `value` against the key's kind and range and stores it. On error the message says
// what was expected and what was given ("expected one of always|periodic|none, got
// 'sometimes'"), without the key's name, which the caller prefixes.
Status assign_key(const KeyDescriptor& desc, const KeyValue& value, NodeConfig& config);

// Checks the key's current value in `config` (same rules as assign_key).
Status check_key(const KeyDescriptor& desc, const NodeConfig& config);

// The key's value as a TOML literal: `"always"`, `1024`, `["a:1", "b:2"]`.
std::string format_key_value(const KeyDescriptor& desc, const NodeConfig& config);

// A TOML basic string literal with the necessary escapes, quotes included.
std::string toml_quote(std::string_view text);

}  // namespace pairdb::server
