// pairdb-admin: the operator's command-line tool, in the manner of Cassandra's nodetool.
//   pairdb-admin [-h HOST] [-p PORT] [--json] [--timeout-ms N] COMMAND [ARGS...]
// Exit codes: 0 ok, 1 the operation failed, 2 a usage error; the reason is one line on stderr.
#include <iostream>

#include <CLI/CLI.hpp>

#include "admin/admin_context.h"
#include "admin/commands.h"

int main(int argc, char** argv) {
  using namespace pairdb::admin;
  CLI::App app("pairdb-admin: inspect and operate a pairdb node or cluster", "pairdb-admin");
  // -h is the host, as in nodetool; help is --help only (on every command).
  app.set_help_flag("--help", "Print this help and exit");
  app.require_subcommand(1);
  app.fallthrough();  // Global flags may also follow the command.

  GlobalOptions global;
  app.add_option("-h,--host", global.host, "Node to talk to")->capture_default_str();
  app.add_option("-p,--port", global.port, "The node's binary protocol port")
      ->capture_default_str();
  app.add_flag("--json", global.json, "Print machine-readable JSON instead of tables");
  app.add_option("--timeout-ms", global.timeout_ms, "Deadline of each request")
      ->check(CLI::Range(1u, 3'600'000u))
      ->capture_default_str();

  Action selected;
  add_node_commands(app, &selected);
  add_cluster_commands(app, &selected);
  add_table_commands(app, &selected);
  add_data_commands(app, &selected);
  add_handoff_commands(app, &selected);
  add_repair_commands(app, &selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "pairdb-admin: " << error.what() << " (see --help)\n";
    return kExitUsage;
  }
  if (!selected) {  // A command group (e.g. `tables`) without its subcommand.
    std::cerr << "pairdb-admin: missing command (see --help)\n";
    return kExitUsage;
  }
  AdminContext context(global, std::cout, std::cerr);
  return selected(context);
}
