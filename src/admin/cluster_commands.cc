// pairdb-admin: commands about cluster membership as gossip sees it — gossipinfo,
// describecluster and getendpoints. (status and ring, which read the ring, live with the node
// commands.)
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/table_printer.h"
#include "admin/views.h"

namespace pairdb::admin {
namespace {

using Align = TablePrinter::Align;

// Schema versions are catalog digests; hex reads better and matches the logs.
std::string schema_text(uint64_t version) { return fmt::format("{:016x}", version); }

boost::json::object gossip_json(const client::GossipInfo& info) {
  boost::json::array members;
  for (const auto& m : info.members) {
    members.push_back(boost::json::object{{"node_id", m.node_id},
                                          {"gossip_address", m.gossip_address},
                                          {"liveness", m.liveness},
                                          {"status", m.status},
                                          {"incarnation", m.incarnation},
                                          {"dc", m.dc},
                                          {"rack", m.rack},
                                          {"load_bytes", m.load_bytes},
                                          {"schema_version", schema_text(m.schema_version)},
                                          {"software_version", m.software_version},
                                          {"meta_version", m.meta_version}});
  }
  return boost::json::object{{"node_id", info.node_id}, {"members", std::move(members)}};
}

void print_gossip(std::ostream& out, const client::GossipInfo& info) {
  TablePrinter table({{"Gossip address"},
                      {"Liveness"},
                      {"Status"},
                      {"Incarnation", Align::kRight},
                      {"DC"},
                      {"Rack"},
                      {"Load", Align::kRight},
                      {"Schema"},
                      {"Version"},
                      {"Host ID"}});
  for (const auto& m : info.members) {
    table.add_row({m.gossip_address, m.liveness, m.status, std::to_string(m.incarnation), m.dc,
                   m.rack, format_bytes(m.load_bytes), schema_text(m.schema_version),
                   m.software_version.empty() ? "-" : m.software_version,
                   m.node_id + (m.node_id == info.node_id ? " (this node)" : "")});
  }
  table.print(out);
}

boost::json::object cluster_json(const client::ClusterDescription& cluster) {
  boost::json::array versions;
  for (const auto& v : cluster.schema_versions) {
    boost::json::array ids;
    for (const auto& id : v.node_ids) ids.push_back(boost::json::value(id));
    versions.push_back(
        boost::json::object{{"version", schema_text(v.version)}, {"node_ids", std::move(ids)}});
  }
  return boost::json::object{{"cluster_name", cluster.cluster_name},
                             {"partitioner", cluster.partitioner},
                             {"ring_version", cluster.ring_version},
                             {"schema_agreement", cluster.schema_agreement},
                             {"schema_versions", std::move(versions)}};
}

void print_cluster(std::ostream& out, const client::ClusterDescription& cluster) {
  KeyValuePrinter printer;
  printer.add("Cluster name", cluster.cluster_name);
  printer.add("Partitioner", cluster.partitioner);
  printer.add("Ring version", std::to_string(cluster.ring_version));
  printer.add("Schema agreement", cluster.schema_agreement ? "yes" : "NO");
  printer.print(out);
  out << "Schema versions (live nodes):\n";
  for (const auto& v : cluster.schema_versions) {
    std::string ids;
    for (const auto& id : v.node_ids) ids += (ids.empty() ? "" : ", ") + id;
    out << "  " << schema_text(v.version) << ": [" << ids << "]\n";
  }
}

int run_gossipinfo(AdminContext& ctx) {
  return show(ctx, ctx.client().gossip_info(ctx.node()), gossip_json, print_gossip);
}

// Succeeds (exit 0) whether or not the schema agrees: disagreement is information, and the
// JSON's schema_agreement says it for scripts.
int run_describecluster(AdminContext& ctx) {
  return show(ctx, ctx.client().describe_cluster(ctx.node()), cluster_json, print_cluster);
}

struct EndpointArgs {
  std::string table;
  std::string partition_key;
  uint32_t fallbacks = 0;
};

int run_getendpoints(AdminContext& ctx, const EndpointArgs& args) {
  auto endpoints =
      ctx.client().get_endpoints(args.table, args.partition_key, args.fallbacks, ctx.node());
  if (!endpoints) return ctx.fail(endpoints.error());
  auto role = [&](size_t i) { return i < endpoints->natural_count ? "replica" : "fallback"; };
  if (ctx.json()) {
    boost::json::array nodes;
    for (size_t i = 0; i < endpoints->nodes.size(); ++i) {
      boost::json::object entry = to_json(endpoints->nodes[i]);
      entry["role"] = role(i);
      nodes.push_back(std::move(entry));
    }
    ctx.print_json(boost::json::object{{"table", args.table},
                                       {"token", endpoints->token},
                                       {"ring_version", endpoints->ring_version},
                                       {"natural_count", endpoints->natural_count},
                                       {"endpoints", std::move(nodes)}});
    return kExitOk;
  }
  ctx.out() << "Token: " << endpoints->token << '\n';
  TablePrinter table(
      {{"#", Align::kRight}, {"Role"}, {"Address"}, {"DC"}, {"Rack"}, {"Liveness"}, {"Host ID"}});
  for (size_t i = 0; i < endpoints->nodes.size(); ++i) {
    const auto& node = endpoints->nodes[i];
    table.add_row({std::to_string(i + 1), role(i), node.address, node.dc, node.rack, node.liveness,
                   node.node_id});
  }
  table.print(ctx.out());
  return kExitOk;
}

}  // namespace

void add_cluster_commands(CLI::App& app, Action* selected) {
  app.add_subcommand("gossipinfo",
                     "Every member as this node's failure detector sees it: liveness, "
                     "incarnation, status, schema version")
      ->callback([selected] { *selected = run_gossipinfo; });
  app.add_subcommand("describecluster",
                     "Cluster name, partitioner and schema agreement across the live nodes")
      ->callback([selected] { *selected = run_describecluster; });
  auto args = std::make_shared<EndpointArgs>();
  auto* endpoints = app.add_subcommand(
      "getendpoints", "The nodes that hold a partition key of a table, in preference order");
  endpoints->add_option("table", args->table, "Table name")->required();
  endpoints->add_option("partition_key", args->partition_key, "Partition key (text)")->required();
  endpoints
      ->add_option("--fallbacks", args->fallbacks,
                   "Also list this many fallback nodes a sloppy quorum would use")
      ->check(CLI::Range(0u, 8u))
      ->capture_default_str();
  endpoints->callback([selected, args] {
    *selected = [args](AdminContext& ctx) { return run_getendpoints(ctx, *args); };
  });
}

}  // namespace pairdb::admin
