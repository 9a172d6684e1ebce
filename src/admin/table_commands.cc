// pairdb-admin: table administration (tables list|create|drop|describe) and tablestats.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/table_printer.h"
#include "admin/views.h"

namespace pairdb::admin {
namespace {

using Align = TablePrinter::Align;

boost::json::array tables_json(const std::vector<client::TableInfo>& tables) {
  boost::json::array out;
  for (const auto& table : tables) out.push_back(to_json(table));
  return out;
}

void print_tables(std::ostream& out, const std::vector<client::TableInfo>& tables) {
  TablePrinter printer({{"Name"},
                        {"Conflicts"},
                        {"Replication"},
                        {"Read"},
                        {"Write"},
                        {"Default TTL ms", Align::kRight},
                        {"Id"}});
  for (const auto& table : tables) {
    printer.add_row({table.spec.name, std::string(conflict_mode_name(table.spec.conflict_mode)),
                     replication_text(table.spec.replication),
                     std::string(consistency_name(table.spec.read_consistency)),
                     std::string(consistency_name(table.spec.write_consistency)),
                     std::to_string(table.spec.default_ttl_ms),
                     fmt::format("{:016x}", table.table_id)});
  }
  printer.print(out);
}

int run_list(AdminContext& ctx) {
  return show(ctx, ctx.client().list_tables(), tables_json, print_tables);
}

void print_table(std::ostream& out, const client::TableInfo& table) {
  KeyValuePrinter printer;
  printer.add("Name", table.spec.name);
  printer.add("Id", fmt::format("{:016x}", table.table_id));
  if (!table.spec.owner.empty()) printer.add("Owner", table.spec.owner);
  printer.add("Conflict mode", std::string(conflict_mode_name(table.spec.conflict_mode)));
  printer.add("Replication", replication_text(table.spec.replication));
  printer.add("Read consistency", std::string(consistency_name(table.spec.read_consistency)));
  printer.add("Write consistency", std::string(consistency_name(table.spec.write_consistency)));
  printer.add("Default TTL ms", std::to_string(table.spec.default_ttl_ms));
  printer.add("Siblings warn/max",
              fmt::format("{}/{}", table.spec.siblings_warn, table.spec.siblings_max));
  printer.add("Sloppy quorum", table.spec.sloppy_quorum ? "on" : "off");
  printer.add("Created at ms", std::to_string(table.created_at_ms));
  printer.add("Schema version", std::to_string(table.schema_version));
  printer.print(out);
}

struct CreateArgs {
  std::string name;
  std::string conflict_mode = "siblings";
  std::vector<std::string> replication;  // "dc:rf" or just "rf".
  std::string read_consistency = "default";
  std::string write_consistency = "default";
  uint64_t default_ttl_ms = 0;
  uint32_t siblings_warn = 0;
  uint32_t siblings_max = 0;
  std::string read_repair = "blocking";
  std::string sloppy_quorum = "on";
  std::string owner;
  bool if_not_exists = false;
};

// Validated by CLI11 before the action runs (check() callbacks below), so only the conversion
// remains here.
client::TableSpec spec_of(const CreateArgs& args) {
  client::TableSpec spec;
  spec.name = args.name;
  spec.owner = args.owner;
  spec.conflict_mode =
      args.conflict_mode == "lww" ? client::ConflictMode::kLww : client::ConflictMode::kSiblings;
  for (const auto& entry : args.replication) {
    const size_t colon = entry.rfind(':');
    client::DcReplication dc;
    if (colon != std::string::npos) dc.dc = entry.substr(0, colon);
    dc.rf = static_cast<uint32_t>(
        std::stoul(colon == std::string::npos ? entry : entry.substr(colon + 1)));
    spec.replication.push_back(dc);
  }
  spec.read_consistency = *parse_consistency(args.read_consistency);
  spec.write_consistency = *parse_consistency(args.write_consistency);
  spec.default_ttl_ms = args.default_ttl_ms;
  spec.siblings_warn = args.siblings_warn;
  spec.siblings_max = args.siblings_max;
  spec.read_repair = args.read_repair == "async" ? client::ReadRepair::kAsync
                     : args.read_repair == "off" ? client::ReadRepair::kOff
                                                 : client::ReadRepair::kBlocking;
  spec.sloppy_quorum = args.sloppy_quorum == "on";
  return spec;
}

const CLI::Validator kReplicationEntry(
    [](std::string& text) -> std::string {
      const size_t colon = text.rfind(':');
      const std::string rf = colon == std::string::npos ? text : text.substr(colon + 1);
      if (rf.empty() || rf.size() > 3 || rf.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(rf) == 0) {
        return "replication '" + text + "' is not DC:RF or RF with RF a positive integer";
      }
      return "";
    },
    "DC:RF");

int run_tablestats(AdminContext& ctx, const std::string& only) {
  std::vector<std::string> names;
  if (!only.empty()) {
    names.push_back(only);
  } else {
    auto tables = ctx.client().list_tables();
    if (!tables) return ctx.fail(tables.error());
    for (const auto& table : *tables) names.push_back(table.spec.name);
  }
  boost::json::object json;
  TablePrinter printer({{"Table"},
                        {"Conflicts"},
                        {"Records", Align::kRight},
                        {"Logical size", Align::kRight},
                        {"Id"}});
  for (const auto& name : names) {
    auto stats = ctx.client().table_stats(name, ctx.node());
    if (!stats) return ctx.fail(stats.error());
    json[name] = to_json(*stats);
    auto field = [&](std::string_view key) {
      const std::string* value = stats->find(key);
      return value ? *value : std::string("?");
    };
    const std::string* bytes = stats->find("logical_bytes");
    printer.add_row({name, field("conflict_mode"), field("records"),
                     bytes ? format_bytes(std::stoull(*bytes)) : "?", field("id")});
  }
  if (ctx.json()) {
    ctx.print_json(json);
  } else {
    printer.print(ctx.out());
  }
  return kExitOk;
}

}  // namespace

namespace {

void add_create_command(CLI::App* tables, Action* selected) {
  auto create = std::make_shared<CreateArgs>();
  auto* create_cmd = tables->add_subcommand("create", "Create a table");
  create_cmd->add_option("name", create->name, "Table name")->required();
  create_cmd
      ->add_option("--conflict-mode", create->conflict_mode,
                   "How concurrent writes resolve: siblings (keep all) or lww")
      ->check(CLI::IsMember({"siblings", "lww"}))
      ->capture_default_str();
  create_cmd
      ->add_option("--replication", create->replication,
                   "Replicas per datacenter, DC:RF (repeatable), or RF alone; the server's "
                   "default when omitted")
      ->check(kReplicationEntry);
  create_cmd
      ->add_option("--read-consistency", create->read_consistency,
                   "Default read level (one, quorum, local_quorum, all, ...)")
      ->check(kConsistencyLevel)
      ->capture_default_str();
  create_cmd->add_option("--write-consistency", create->write_consistency, "Default write level")
      ->check(kConsistencyLevel)
      ->capture_default_str();
  create_cmd->add_option("--default-ttl-ms", create->default_ttl_ms,
                         "Time to live of items written without one; 0 = forever");
  create_cmd->add_option("--siblings-warn", create->siblings_warn,
                         "Warn when an item has more siblings; 0 = the server's default");
  create_cmd->add_option("--siblings-max", create->siblings_max,
                         "Refuse writes beyond this many siblings; 0 = the server's default");
  create_cmd
      ->add_option("--read-repair", create->read_repair,
                   "When reads repair stale replicas: blocking (before answering), async, off")
      ->check(CLI::IsMember({"blocking", "async", "off"}))
      ->capture_default_str();
  create_cmd
      ->add_option("--sloppy-quorum", create->sloppy_quorum,
                   "Whether fallbacks' acks (nodes keeping hints for dead replicas) count toward "
                   "the write level: on, or off to count only natural replicas")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  create_cmd->add_option("--owner", create->owner, "Free-text owner (tenant) of the table");
  create_cmd->add_flag("--if-not-exists", create->if_not_exists,
                       "Succeed without change when the table exists");
  create_cmd->callback([selected, create] {
    *selected = [create](AdminContext& ctx) {
      return show(ctx, ctx.client().create_table(spec_of(*create), create->if_not_exists),
                  print_table);
    };
  });
}

void add_drop_describe_stats_commands(CLI::App& app, CLI::App* tables, Action* selected) {
  auto drop_name = std::make_shared<std::string>();
  auto drop_if_exists = std::make_shared<bool>(false);
  auto* drop_cmd = tables->add_subcommand("drop", "Drop a table and (lazily) all its data");
  drop_cmd->add_option("name", *drop_name, "Table name")->required();
  drop_cmd->add_flag("--if-exists", *drop_if_exists, "Succeed when there is no such table");
  drop_cmd->callback([selected, drop_name, drop_if_exists] {
    *selected = [drop_name, drop_if_exists](AdminContext& ctx) {
      return show(
          ctx, ctx.client().drop_table(*drop_name, *drop_if_exists),
          [&](const client::Empty&) {
            return boost::json::object{{"dropped", *drop_name}};
          },
          [&](std::ostream& out, const client::Empty&) {
            out << "dropped table " << *drop_name << '\n';
          });
    };
  });

  auto describe_name = std::make_shared<std::string>();
  auto* describe_cmd = tables->add_subcommand("describe", "One table's settings");
  describe_cmd->add_option("name", *describe_name, "Table name")->required();
  describe_cmd->callback([selected, describe_name] {
    *selected = [describe_name](AdminContext& ctx) {
      return show(ctx, ctx.client().describe_table(*describe_name), print_table);
    };
  });

  auto stats_table = std::make_shared<std::string>();
  auto* stats_cmd = app.add_subcommand(
      "tablestats", "Records and logical bytes of one table (or of every table) on this node");
  stats_cmd->add_option("table", *stats_table, "Table; all tables when omitted");
  stats_cmd->callback([selected, stats_table] {
    *selected = [stats_table](AdminContext& ctx) { return run_tablestats(ctx, *stats_table); };
  });
}

}  // namespace

void add_table_commands(CLI::App& app, Action* selected) {
  auto* tables = app.add_subcommand("tables", "List, create, drop and describe tables");
  tables->require_subcommand(1);

  tables->add_subcommand("list", "Every table with its settings")->callback([selected] {
    *selected = run_list;
  });

  add_create_command(tables, selected);
  add_drop_describe_stats_commands(app, tables, selected);
}

}  // namespace pairdb::admin
