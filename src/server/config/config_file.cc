#include "server/config/config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/assert.h"
#include "server/config/config_keys.h"

namespace pairdb::server {

namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown value";
}

// Prefixes messages with "source:line:column: ".
class Locator {
 public:
  explicit Locator(std::string_view source_name) : source_name_(source_name) {}

  Status error(const toml::source_region& where, std::string_view message) const {
    return Status::invalid_argument(
        fmt::format("{}:{}:{}: {}", source_name_, where.begin.line, where.begin.column, message));
  }

 private:
  std::string_view source_name_;
};

Result<KeyValue> to_key_value(const KeyDescriptor& desc, const toml::node& node) {
  auto mismatch = [&](std::string_view expected) {
    return Status::invalid_argument(
        fmt::format("expected {}, got {}", expected, type_name(node.type())));
  };
  switch (desc.kind) {
    case KeyKind::kUint: {
      const auto* integer = node.as_integer();
      if (integer == nullptr) return mismatch("a non-negative integer");
      int64_t v = integer->get();
      if (v < 0) {
        return Status::invalid_argument(
            fmt::format("expected an integer in [{}, {}], got {}", desc.min, desc.max, v));
      }
      return KeyValue(static_cast<uint64_t>(v));
    }
    case KeyKind::kString:
    case KeyKind::kEnum:
    case KeyKind::kHostPort: {
      const auto* str = node.as_string();
      if (str == nullptr) return mismatch("a string");
      return KeyValue(str->get());
    }
    case KeyKind::kHostPortList: {
      const auto* array = node.as_array();
      if (array == nullptr) return mismatch("an array of \"host:port\" strings");
      std::vector<std::string> items;
      for (size_t i = 0; i < array->size(); ++i) {
        const auto* str = (*array)[i].as_string();
        if (str == nullptr) {
          return Status::invalid_argument(
              fmt::format("element {} is {}, expected a string", i, type_name((*array)[i].type())));
        }
        items.push_back(str->get());
      }
      return KeyValue(std::move(items));
    }
  }
  PAIRDB_ASSERT(false);
  return Status::invalid_argument("unreachable");
}

Status apply_table(const Locator& at, std::string_view table_name, const toml::table& table,
                   NodeConfig& config) {
  for (const auto& [key, node] : table) {
    const KeyDescriptor* desc = find_key(table_name, key.str());
    std::string path = fmt::format("{}.{}", table_name, key.str());
    if (desc == nullptr) return at.error(key.source(), fmt::format("unknown key '{}'", path));
    auto value = to_key_value(*desc, node);
    if (!value.is_ok()) {
      return at.error(node.source(), fmt::format("{}: {}", path, value.status().message()));
    }
    Status s = assign_key(*desc, *value, config);
    if (!s.is_ok()) return at.error(node.source(), fmt::format("{}: {}", path, s.message()));
  }
  return Status::ok();
}

}  // namespace

Status apply_toml_text(std::string_view text, std::string_view source_name, NodeConfig& config) {
  Locator at(source_name);
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return at.error(e.source(), fmt::format("invalid TOML: {}", e.description()));
  }
  for (const auto& [name, node] : root) {
    const auto* table = node.as_table();
    if (table == nullptr) {
      return at.error(
          name.source(),
          fmt::format("unknown key '{}' (every key belongs in a table, e.g. [node])", name.str()));
    }
    if (!is_known_table(name.str())) {
      return at.error(name.source(), fmt::format("unknown table [{}]", name.str()));
    }
    PAIRDB_TRY(apply_table(at, name.str(), *table, config));
  }
  return Status::ok();
}

Status apply_toml_file(const std::string& path, NodeConfig& config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::invalid_argument(
        fmt::format("cannot open config file '{}': {}", path, std::strerror(errno)));
  }
  std::string text(kConfigFileBytesMax + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return Status::invalid_argument(
        fmt::format("cannot read config file '{}': {}", path, std::strerror(errno)));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kConfigFileBytesMax) {
    return Status::invalid_argument(
        fmt::format("config file '{}' is larger than {} bytes", path, kConfigFileBytesMax));
  }
  return apply_toml_text(text, path, config);
}

}  // namespace pairdb::server
