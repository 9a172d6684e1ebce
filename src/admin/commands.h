// pairdb-admin's commands, registered on the CLI11 app by topic. Each registration adds its
// subcommands with their own --help; parsing one stores its action in *selected, which main()
// runs after the whole command line parsed, with the context built from the global flags.
// An action returns the process exit code (kExitOk, kExitFailed).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "admin/admin_context.h"

namespace pairdb::admin {

using Action = std::function<int(AdminContext&)>;

// version, status, ring, info, describe, flush, compact.
void add_node_commands(CLI::App& app, Action* selected);
// gossipinfo, describecluster, getendpoints.
void add_cluster_commands(CLI::App& app, Action* selected);
// tables list|create|drop|describe, tablestats.
void add_table_commands(CLI::App& app, Action* selected);
// get, put, delete, query.
void add_data_commands(CLI::App& app, Action* selected);

}  // namespace pairdb::admin
