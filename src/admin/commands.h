// pairdb-admin's commands, registered on the CLI11 app by topic. Each registration adds its
// subcommands with their own --help; parsing one stores its action in *selected, which main()
// runs after the whole command line parsed, with the context built from the global flags.
// An action returns the process exit code (kExitOk, kExitFailed).
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "admin/admin_context.h"
#include "admin/views.h"

namespace pairdb::admin {

using Action = std::function<int(AdminContext&)>;

// Ends a command that made one call: a failed call prints its error and exits 1; otherwise
// --json prints json_of(value), the default print_text(ctx.out(), value), and it exits 0.
template <class T, class JsonOf, class PrintText>
int show(AdminContext& ctx, const client::Expected<T>& result, JsonOf json_of,
         PrintText print_text) {
  if (!result) return ctx.fail(result.error());
  if (ctx.json()) {
    ctx.print_json(json_of(*result));
  } else {
    print_text(ctx.out(), *result);
  }
  return kExitOk;
}

// The same, with --json printing to_json(value) (views.h).
template <class T, class PrintText>
int show(AdminContext& ctx, const client::Expected<T>& result, PrintText print_text) {
  return show(
      ctx, result, [](const T& value) { return to_json(value); }, print_text);
}

// CLI11 check of a consistency level name (see parse_consistency).
inline const CLI::Validator kConsistencyLevel(
    [](std::string& text) -> std::string {
      return parse_consistency(text) ? "" : "unknown consistency level '" + text + "'";
    },
    "LEVEL");

// CLI11 check of a node id (--node): a UUID, as `pairdb-admin status` shows it.
inline const CLI::Validator kNodeId(
    [](std::string& text) -> std::string {
      return is_node_id(text)
                 ? ""
                 : "'" + text + "' is not a node id (a UUID, as `pairdb-admin status` shows)";
    },
    "ID");

// version, status, ring, info, describe, flush, compact.
void add_node_commands(CLI::App& app, Action* selected);
// gossipinfo, describecluster, getendpoints.
void add_cluster_commands(CLI::App& app, Action* selected);
// tables list|create|drop|describe, tablestats.
void add_table_commands(CLI::App& app, Action* selected);
// get, put, delete, query, getreplicas.
void add_data_commands(CLI::App& app, Action* selected);
// handoff status|pause|resume|truncate.
void add_handoff_commands(CLI::App& app, Action* selected);
// repair [TABLE] [--range START:END] [--full] [--node ID] [--no-wait], repair status.
void add_repair_commands(CLI::App& app, Action* selected);

}  // namespace pairdb::admin
