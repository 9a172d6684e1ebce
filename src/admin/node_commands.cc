// pairdb-admin: commands about the node and the cluster it sees.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/ownership.h"
#include "admin/progress.h"
#include "admin/table_printer.h"
#include "admin/views.h"

#ifndef PAIRDB_VERSION
#define PAIRDB_VERSION "0.0.0"
#endif

namespace pairdb::admin {
namespace {

using Align = TablePrinter::Align;

int run_version(AdminContext& ctx) {
  auto hello = ctx.client().hello(ctx.node());
  if (ctx.json()) {
    boost::json::object out{{"admin_version", PAIRDB_VERSION}};
    if (hello) {
      out["server_version"] = hello->server_version;
      out["protocol_version"] = hello->protocol_version;
    }
    ctx.print_json(out);
  } else {
    ctx.out() << "pairdb-admin " << PAIRDB_VERSION << '\n';
    if (hello) {
      ctx.out() << "server " << hello->server_version << " (protocol "
                << static_cast<int>(hello->protocol_version) << ") at " << ctx.address() << '\n';
    }
  }
  return hello ? kExitOk : ctx.fail(hello.error());
}

int run_status(AdminContext& ctx) {
  auto status = ctx.client().status(ctx.node());
  if (!status) return ctx.fail(status.error());
  const auto ownership = primary_ownership(status->nodes);
  if (ctx.json()) {
    boost::json::array nodes;
    for (const auto& node : status->nodes) {
      boost::json::object entry = to_json(node);
      entry["status"] = node_state_code(node);
      entry["ownership"] = ownership.at(node.node_id);
      nodes.push_back(std::move(entry));
    }
    ctx.print_json(boost::json::object{{"node_id", status->node_id}, {"nodes", std::move(nodes)}});
    return kExitOk;
  }
  // One section per datacenter, as nodetool prints it.
  std::map<std::string, std::vector<const client::NodeInfo*>> by_dc;
  for (const auto& node : status->nodes) by_dc[node.dc].push_back(&node);
  bool first = true;
  for (const auto& [dc, nodes] : by_dc) {
    if (!first) ctx.out() << '\n';
    first = false;
    ctx.out() << "Datacenter: " << (dc.empty() ? "(none)" : dc) << '\n'
              << std::string(12 + std::max<size_t>(dc.size(), 6), '=') << '\n'
              << "Status=Up/Suspect/Down\n"
              << "|/ State=Normal/Leaving/Joining/left(X)\n";
    TablePrinter table({{"--"},
                        {"Address"},
                        {"Rack"},
                        {"Load", Align::kRight},
                        {"Tokens", Align::kRight},
                        {"Owns", Align::kRight},
                        {"Host ID"}});
    for (const auto* node : nodes) {
      table.add_row({node_state_code(*node), node->address, node->rack,
                     format_bytes(node->load_bytes), std::to_string(node->tokens.size()),
                     format_percent(ownership.at(node->node_id)), node->node_id});
    }
    table.print(ctx.out());
  }
  return kExitOk;
}

// Every vnode in token order with its owner, as nodetool ring prints it.
int run_ring(AdminContext& ctx) {
  auto topology = ctx.client().topology(ctx.node());
  if (!topology) return ctx.fail(topology.error());
  std::vector<std::pair<uint64_t, const client::NodeInfo*>> vnodes;
  for (const auto& node : topology->nodes) {
    for (uint64_t token : node.tokens) vnodes.emplace_back(token, &node);
  }
  std::sort(vnodes.begin(), vnodes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto ownership = primary_ownership(topology->nodes);
  if (ctx.json()) {
    boost::json::array tokens;
    for (const auto& [token, node] : vnodes) {
      tokens.push_back(boost::json::object{
          {"token", token}, {"node_id", node->node_id}, {"address", node->address}});
    }
    boost::json::object owns;
    for (const auto& [id, fraction] : ownership) owns[id] = fraction;
    ctx.print_json(boost::json::object{{"partitioner", topology->partitioner},
                                       {"ring_version", topology->ring_version},
                                       {"tokens", std::move(tokens)},
                                       {"ownership", std::move(owns)}});
    return kExitOk;
  }
  TablePrinter table({{"Token", Align::kRight},
                      {"Address"},
                      {"DC"},
                      {"Rack"},
                      {"State"},
                      {"Owns", Align::kRight}});
  for (const auto& [token, node] : vnodes) {
    table.add_row({std::to_string(token), node->address, node->dc, node->rack,
                   node_state_code(*node), format_percent(ownership.at(node->node_id))});
  }
  table.print(ctx.out());
  return kExitOk;
}

void print_info(std::ostream& out, const client::KeyValues& info) {
  KeyValuePrinter printer;
  for (const auto& [key, value] : info.entries) printer.add(key, value);
  printer.print(out);
}

int run_info(AdminContext& ctx) { return show(ctx, ctx.client().info(ctx.node()), print_info); }

int run_describe(AdminContext& ctx) {
  auto hello = ctx.client().hello(ctx.node());
  if (!hello) return ctx.fail(hello.error());
  auto topology = ctx.client().topology(ctx.node());
  if (!topology) return ctx.fail(topology.error());
  auto info = ctx.client().info(ctx.node());
  if (!info) return ctx.fail(info.error());
  const std::string* schema = info->find("schema_version");
  if (ctx.json()) {
    ctx.print_json(boost::json::object{{"cluster_name", hello->cluster_name},
                                       {"node_id", hello->node_id},
                                       {"server_version", hello->server_version},
                                       {"protocol_version", hello->protocol_version},
                                       {"partitioner", topology->partitioner},
                                       {"ring_version", topology->ring_version},
                                       {"nodes", topology->nodes.size()},
                                       {"schema_version", schema ? *schema : std::string()}});
    return kExitOk;
  }
  KeyValuePrinter printer;
  printer.add("Cluster name", hello->cluster_name);
  printer.add("Node", hello->node_id + " at " + ctx.address());
  printer.add("Server version", hello->server_version);
  printer.add("Protocol version", std::to_string(hello->protocol_version));
  printer.add("Partitioner", topology->partitioner);
  printer.add("Ring version", std::to_string(topology->ring_version));
  printer.add("Nodes", std::to_string(topology->nodes.size()));
  printer.add("Schema version", schema ? *schema : "unknown");
  printer.print(ctx.out());
  return kExitOk;
}

int run_flush(AdminContext& ctx) {
  return show(
      ctx, ctx.client().flush(ctx.node()),
      [](const client::Empty&) {
        return boost::json::object{{"flushed", true}};
      },
      [&](std::ostream& out, const client::Empty&) {
        out << "flushed memtables on " << ctx.address() << '\n';
      });
}

uint64_t stat_of(const client::KeyValues& info, std::string_view key) {
  const std::string* value = info.find(key);
  return value ? std::strtoull(value->c_str(), nullptr, 10) : 0;
}

// Runs Compact while polling Info once a second for the engine's compaction counters, so the
// operator sees it moving: "compacting all tables: 12 s, 1.2 GiB read, 1.1 GiB written".
int run_compact(AdminContext& ctx, const std::string& table) {
  auto before = ctx.client().info(ctx.node());
  if (!before) return ctx.fail(before.error());
  std::future<client::Expected<client::Empty>> done =
      ctx.long_running_client().async().async_compact(table, ctx.node(), boost::asio::use_future);
  // Progress goes to stderr so --json stays clean on stdout.
  ProgressReporter progress(stderr, ProgressReporter::is_terminal(stderr));
  const std::string what = table.empty() ? "all tables" : "table " + table;
  const auto started = std::chrono::steady_clock::now();
  auto status_line = [&](const client::KeyValues* now) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string line = fmt::format("compacting {}: {:.0f} s", what, seconds);
    if (now != nullptr) {
      line += fmt::format(", {} read, {} written",
                          format_bytes(stat_of(*now, "lsm.compaction-read-bytes") -
                                       stat_of(*before, "lsm.compaction-read-bytes")),
                          format_bytes(stat_of(*now, "lsm.compaction-write-bytes") -
                                       stat_of(*before, "lsm.compaction-write-bytes")));
    }
    return line;
  };
  while (done.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
    auto now = ctx.client().info(ctx.node());
    progress.update(status_line(now ? &*now : nullptr));
  }
  auto result = done.get();
  if (!result) return ctx.fail(result.error());
  auto after = ctx.client().info(ctx.node());
  progress.finish(status_line(after ? &*after : nullptr) + ", done");
  if (ctx.json()) {
    ctx.print_json(boost::json::object{
        {"compacted", table.empty() ? std::string("*") : table},
        {"seconds",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  }
  return kExitOk;
}

}  // namespace

void add_node_commands(CLI::App& app, Action* selected) {
  app.add_subcommand("version", "Print the versions of pairdb-admin and of the node")
      ->callback([selected] { *selected = run_version; });
  app.add_subcommand("status",
                     "Every node the contacted node knows: state, address, load, "
                     "tokens, ownership")
      ->callback([selected] { *selected = run_status; });
  app.add_subcommand("ring", "Every token in ring order with the node that owns it")
      ->callback([selected] { *selected = run_ring; });
  app.add_subcommand("info", "The node's identity, addresses, uptime and storage statistics")
      ->callback([selected] { *selected = run_info; });
  app.add_subcommand("describe", "Cluster name, partitioner, versions and schema version")
      ->callback([selected] { *selected = run_describe; });
  app.add_subcommand("flush", "Write the node's memtables to SSTables")->callback([selected] {
    *selected = run_flush;
  });
  auto table = std::make_shared<std::string>();
  auto* compact =
      app.add_subcommand("compact",
                         "Compact a table's data (or every table's) down to the last level, with "
                         "progress on stderr");
  compact->add_option("table", *table, "Table to compact; all tables when omitted");
  compact->callback([selected, table] {
    *selected = [table](AdminContext& ctx) { return run_compact(ctx, *table); };
  });
}

}  // namespace pairdb::admin
