// pairdb-admin: hinted handoff on the contacted node — handoff status|pause|resume|truncate.
// The node holds hints for replicas that missed writes and delivers them once those replicas are
// back; these commands show what it holds, stop and restart delivery, and drop hints (their
// token ranges are then recorded as needing repair).
#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/views.h"

namespace pairdb::admin {
namespace {

using client::HandoffAction;

uint64_t now_wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

int run_handoff_status(AdminContext& ctx) {
  return show(ctx, ctx.client().handoff_status(ctx.node()),
              [](std::ostream& out, const client::HandoffStatus& status) {
                print_handoff_status(out, status, now_wall_ms());
              });
}

std::string_view action_name(HandoffAction action) {
  switch (action) {
    case HandoffAction::kPause:
      return "pause";
    case HandoffAction::kResume:
      return "resume";
    case HandoffAction::kTruncate:
      return "truncate";
  }
  return "unknown";
}

// One line saying what changed: "paused hint delivery to every target on 127.0.0.1:7400".
void print_control(std::ostream& out, HandoffAction action, const std::string& target,
                   const std::string& address, uint64_t affected) {
  const std::string whom = target.empty() ? "every target" : target;
  switch (action) {
    case HandoffAction::kPause:
      out << fmt::format("paused hint delivery to {} on {}\n", whom, address);
      return;
    case HandoffAction::kResume:
      out << fmt::format("resumed hint delivery to {} on {}\n", whom, address);
      return;
    case HandoffAction::kTruncate:
      out << fmt::format("truncated {} hint{} for {} on {}", affected, affected == 1 ? "" : "s",
                         whom, address);
      if (affected > 0) {
        out << "; their token ranges are recorded as needing repair (pairdb-admin handoff status)";
      }
      out << '\n';
      return;
  }
}

int run_handoff_control(AdminContext& ctx, HandoffAction action, const std::string& target) {
  // Dropping hints may run as long as the store needs to delete them.
  client::Client& client =
      action == HandoffAction::kTruncate ? ctx.long_running_client() : ctx.client();
  return show(
      ctx, client.handoff_control(action, target, ctx.node()),
      [&](const client::HandoffControlResult& result) {
        return boost::json::object{{"action", action_name(action)},
                                   {"target", target.empty() ? std::string("*") : target},
                                   {"affected", result.affected}};
      },
      [&](std::ostream& out, const client::HandoffControlResult& result) {
        print_control(out, action, target, ctx.address(), result.affected);
      });
}

void add_control_command(CLI::App* handoff, Action* selected, HandoffAction action,
                         const std::string& description) {
  auto target = std::make_shared<std::string>();
  auto* command = handoff->add_subcommand(std::string(action_name(action)), description);
  command->add_option("--node", *target, "Only the hints for this target node; all when omitted")
      ->check(kNodeId);
  command->callback([selected, action, target] {
    *selected = [action, target](AdminContext& ctx) {
      return run_handoff_control(ctx, action, *target);
    };
  });
}

}  // namespace

void add_handoff_commands(CLI::App& app, Action* selected) {
  auto* handoff = app.add_subcommand(
      "handoff",
      "Hints this node holds for replicas that missed writes: show, pause, resume, "
      "truncate");
  handoff->require_subcommand(1);
  handoff
      ->add_subcommand("status",
                       "Hints held per target node, delivery totals, drops by reason, and the "
                       "token ranges that need repair")
      ->callback([selected] { *selected = run_handoff_status; });
  add_control_command(handoff, selected, HandoffAction::kPause,
                      "Stop delivering hints (they are still kept)");
  add_control_command(handoff, selected, HandoffAction::kResume, "Deliver hints again");
  add_control_command(handoff, selected, HandoffAction::kTruncate,
                      "Delete the hints held; their token ranges are recorded as needing repair");
}

}  // namespace pairdb::admin
