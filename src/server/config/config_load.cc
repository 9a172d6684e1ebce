// load_config(): the command line (CLI11) on top of the config file (config_file.cc).
#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "common/assert.h"
#include "server/config/config.h"
#include "server/config/config_file.h"
#include "server/config/config_keys.h"

#ifndef PAIRDB_VERSION
#define PAIRDB_VERSION "unknown"
#endif

namespace pairdb::server {

namespace {

constexpr const char* kKeyFlagGroup = "Config keys (override the file; see conf/pairdb.toml)";

std::string value_type_name(const KeyDescriptor& desc) {
  switch (desc.kind) {
    case KeyKind::kUint:
      return "N";
    case KeyKind::kString:
      return desc.string_rule == StringRule::kPath ? "DIR" : "NAME";
    case KeyKind::kEnum:
      return fmt::format("{}", fmt::join(desc.enum_access.names, "|"));
    case KeyKind::kHostPort:
      return "HOST:PORT";
    case KeyKind::kHostPortList:
      return "HOST:PORT";  // CLI11 appends "..." for a list.
  }
  return "VALUE";
}

Result<uint64_t> parse_uint_flag(std::string_view text) {
  constexpr uint64_t kMax = UINT64_MAX;
  uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (!ok) break;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    ok = c >= '0' && c <= '9' && value <= (kMax - digit) / 10;
    value = value * 10 + digit;
  }
  if (!ok) {
    return Status::invalid_argument(fmt::format("expected a non-negative integer, got '{}'", text));
  }
  return value;
}

// The values given on the command line, one slot per descriptor.
struct FlagValues {
  std::string config_path;
  bool print_config = false;
  bool version = false;
  std::vector<std::string> scalars;
  std::vector<std::vector<std::string>> lists;
  std::vector<CLI::Option*> options;
};

void add_key_flags(CLI::App& app, FlagValues& flags) {
  const NodeConfig defaults;
  const auto descriptors = key_descriptors();
  flags.scalars.resize(descriptors.size());
  flags.lists.resize(descriptors.size());
  flags.options.resize(descriptors.size());
  for (size_t i = 0; i < descriptors.size(); ++i) {
    const KeyDescriptor& desc = descriptors[i];
    std::string names = fmt::format("--{}", desc.path());
    if (!desc.flag_alias.empty()) names = fmt::format("{},{}", desc.flag_alias, names);
    std::string default_text =
        desc.kind == KeyKind::kString && desc.string_rule == StringRule::kPath &&
                desc.path() == "node.data_dir"
            ? std::string(
                  "$XDG_DATA_HOME/pairdb, ~/.local/share/pairdb, or /var/lib/pairdb as root")
            : format_key_value(desc, defaults);
    if (desc.kind != KeyKind::kHostPortList && default_text.starts_with('"')) {
      default_text = default_text.substr(1, default_text.size() - 2);  // Unquote for people.
    }
    std::string help = fmt::format("{} (default: {})", desc.doc, default_text);
    CLI::Option* option = nullptr;
    if (desc.kind == KeyKind::kHostPortList) {
      option = app.add_option(names, flags.lists[i], help)->delimiter(',');
    } else {
      option = app.add_option(names, flags.scalars[i], help)
                   ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    option->type_name(value_type_name(desc));
    if (desc.flag_alias.empty()) option->group(kKeyFlagGroup);
    flags.options[i] = option;
  }
}

Result<KeyValue> flag_value(const KeyDescriptor& desc, const FlagValues& flags, size_t i) {
  switch (desc.kind) {
    case KeyKind::kUint: {
      PAIRDB_ASSIGN_OR_RETURN(uint64_t v, parse_uint_flag(flags.scalars[i]));
      return KeyValue(v);
    }
    case KeyKind::kHostPortList: {
      std::vector<std::string> items = flags.lists[i];
      // `--gossip.seeds ""` clears the list.
      std::erase_if(items, [](const std::string& s) { return s.empty(); });
      return KeyValue(std::move(items));
    }
    case KeyKind::kString:
    case KeyKind::kEnum:
    case KeyKind::kHostPort:
      return KeyValue(flags.scalars[i]);
  }
  PAIRDB_ASSERT(false);
  return Status::invalid_argument("unreachable");
}

Status apply_flags(const FlagValues& flags, NodeConfig& config) {
  const auto descriptors = key_descriptors();
  for (size_t i = 0; i < descriptors.size(); ++i) {
    if (flags.options[i]->count() == 0) continue;
    const KeyDescriptor& desc = descriptors[i];
    auto value = flag_value(desc, flags, i);
    Status s = value.is_ok() ? assign_key(desc, *value, config) : value.status();
    if (!s.is_ok()) {
      return Status::invalid_argument(
          fmt::format("command line: --{}: {}", desc.path(), s.message()));
    }
  }
  return Status::ok();
}

Result<LoadedConfig> build_config(const FlagValues& flags) {
  LoadedConfig loaded;
  NodeConfig& config = loaded.config;
  if (!flags.config_path.empty()) PAIRDB_TRY(apply_toml_file(flags.config_path, config));
  PAIRDB_TRY(apply_flags(flags, config));
  if (config.node.data_dir.empty()) {
    PAIRDB_ASSIGN_OR_RETURN(config.node.data_dir, default_data_dir(current_data_dir_environment()));
    config.node.data_dir_defaulted = true;
  }
  Status valid = validate_config(config);
  if (!valid.is_ok()) return valid.with_context("invalid configuration");
  if (flags.print_config) {
    loaded.action = ConfigAction::kPrintConfig;
    loaded.text = dump_config(config);
  }
  return loaded;
}

}  // namespace

Result<LoadedConfig> load_config(int argc, const char* const* argv) {
  CLI::App app("pairdb: a Dynamo-style distributed key-value database node.", "pairdb");
  app.footer("Flags override the --config file key by key. conf/pairdb.toml documents every key.");
  FlagValues flags;
  try {
    app.add_option("--config", flags.config_path, "TOML config file to load before the flags")
        ->type_name("FILE");
    app.add_flag("--print-config", flags.print_config,
                 "Print the effective configuration as TOML and exit");
    app.add_flag("--version", flags.version, "Print the version and exit");
    add_key_flags(app, flags);
  } catch (const CLI::Error& e) {
    // The flag table is static: a construction error is a bug, caught by every test.
    detail::assertion_failed(e.what(), __FILE__, __LINE__);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    LoadedConfig help;
    help.action = ConfigAction::kPrintHelp;
    help.text = app.help();
    return help;
  } catch (const CLI::ParseError& e) {
    return Status::invalid_argument(fmt::format("command line: {} (see pairdb --help)", e.what()));
  }
  if (flags.version) {
    LoadedConfig version;
    version.action = ConfigAction::kPrintVersion;
    version.text = fmt::format("pairdb {}\n", PAIRDB_VERSION);
    return version;
  }
  return build_config(flags);
}

Result<LoadedConfig> load_config(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  argv.push_back("pairdb");
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return load_config(static_cast<int>(argv.size()), argv.data());
}

}  // namespace pairdb::server
