// pairdb-admin: anti-entropy repair — `repair [TABLE]` starts a job on a node and follows it to
// the end, `repair status` shows the node's repair state. A job compares the node's ranges with
// their other replicas (Merkle trees) and exchanges the records that differ.
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/progress.h"
#include "admin/repair_views.h"
#include "admin/views.h"

namespace pairdb::admin {
namespace {

// How often a running job is polled, and how many polls in a row may fail (a node busy with
// the repair may answer one late) before pairdb-admin gives up following the job.
constexpr std::chrono::milliseconds kPollInterval{500};
constexpr int kPollFailuresMax = 3;

uint64_t now_wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

struct RepairOptions {
  std::string table;
  std::string range;    // "START:END", empty = the whole ring.
  std::string node_id;  // Empty = the contacted node.
  bool full = false;
  bool no_wait = false;
};

// A token in decimal or as 0x-prefixed hex.
std::optional<uint64_t> parse_token(const std::string& text) {
  // strtoull would also skip spaces and accept a sign (wrapping "-5" around).
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, hex ? 16 : 10);
  if (errno != 0 || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

// "START:END" as the token range (START, END]; nullopt unless both parse and differ.
std::optional<client::TokenRange> parse_range(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto start = parse_token(text.substr(0, colon));
  auto end = parse_token(text.substr(colon + 1));
  if (!start || !end || *start == *end) return std::nullopt;
  return client::TokenRange{*start, *end};
}

// Node ids in either case name the same node.
std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The node the command acts on: the contacted one, or the one whose id --node names, at the
// address the contacted node's status gives for it. nullopt once it printed why there is none.
std::optional<client::NodeTarget> target_of(AdminContext& ctx, const std::string& node_id) {
  if (node_id.empty()) return ctx.node();
  auto status = ctx.client().status(ctx.node());
  if (!status) {
    ctx.fail(status.error());
    return std::nullopt;
  }
  for (const client::NodeInfo& node : status->nodes) {
    if (lower(node.node_id) == lower(node_id)) return client::NodeTarget{node.address};
  }
  ctx.fail(fmt::format("{} knows no node {} (see pairdb-admin status)", ctx.address(), node_id));
  return std::nullopt;
}

// The job's latest state; nullopt when the node no longer lists it. Retries a failed poll a
// few times.
client::Expected<std::optional<client::RepairJob>> poll_job(AdminContext& ctx,
                                                            const client::NodeTarget& node,
                                                            uint64_t job_id) {
  for (int failures = 1;; ++failures) {
    auto status = ctx.client().repair_status(node);
    if (!status) {
      if (failures >= kPollFailuresMax) return status.error();
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    for (const client::RepairJob& job : status->jobs) {
      if (job.id == job_id) return std::optional<client::RepairJob>(job);
    }
    return std::optional<client::RepairJob>();
  }
}

// Polls until the job finished, showing progress on stderr (stdout stays for --json).
int follow_job(AdminContext& ctx, const client::NodeTarget& node, uint64_t job_id) {
  RepairProgress progress(stderr, ProgressReporter::is_terminal(stderr));
  for (;;) {
    auto polled = poll_job(ctx, node, job_id);
    if (!polled) {
      return ctx.fail(
          fmt::format("{}; repair job {} may still run on {} (see pairdb-admin repair status)",
                      polled.error().to_string(), job_id, node.address));
    }
    if (!polled->has_value()) {
      return ctx.fail(
          fmt::format("repair job {} is no longer listed by {} (it lists the latest few)", job_id,
                      node.address));
    }
    const client::RepairJob& job = **polled;
    if (job.finished()) {
      progress.finish(job);
      if (ctx.json()) ctx.print_json(to_json(job));
      return job.state == "done" ? kExitOk : kExitFailed;
    }
    progress.update(job);
    std::this_thread::sleep_for(kPollInterval);
  }
}

int run_repair(AdminContext& ctx, const RepairOptions& options) {
  const std::optional<client::NodeTarget> node = target_of(ctx, options.node_id);
  if (!node) return kExitFailed;
  client::RepairRunRequest request;
  request.table = options.table;
  if (!options.range.empty()) request.range = parse_range(options.range);  // Checked by CLI11.
  request.full = options.full;
  auto started = ctx.client().repair_run(request, *node);
  if (!started) return ctx.fail(started.error());
  if (!options.no_wait) return follow_job(ctx, *node, started->job_id);
  if (ctx.json()) {
    ctx.print_json(boost::json::object{{"job_id", started->job_id}});
  } else {
    ctx.out() << fmt::format(
        "started repair job {} on {}; follow it with pairdb-admin repair status\n", started->job_id,
        node->address);
  }
  return kExitOk;
}

int run_repair_status(AdminContext& ctx, const std::string& node_id) {
  const std::optional<client::NodeTarget> node = target_of(ctx, node_id);
  if (!node) return kExitFailed;
  return show(
      ctx, ctx.client().repair_status(*node),
      [](const client::RepairStatus& status) { return to_json(status); },
      [](std::ostream& out, const client::RepairStatus& status) {
        print_repair_status(out, status, now_wall_ms());
      });
}

// CLI11 check of --range.
const CLI::Validator kTokenRange(
    [](std::string& text) -> std::string {
      return parse_range(text) ? ""
                               : "'" + text +
                                     "' is not a token range START:END (tokens in decimal or "
                                     "0x hex, START != END)";
    },
    "START:END");

}  // namespace

void add_repair_commands(CLI::App& app, Action* selected) {
  auto options = std::make_shared<RepairOptions>();
  auto* repair = app.add_subcommand(
      "repair",
      "Anti-entropy repair: compare this node's token ranges with their other replicas and "
      "exchange the records that differ; waits for the job, with progress on stderr");
  repair->add_option("table", options->table, "Table to repair; all tables when omitted");
  repair
      ->add_option("--range", options->range,
                   "Only the ranges overlapping the token range (START, END]")
      ->check(kTokenRange);
  repair->add_flag("--full", options->full,
                   "Also repair ranges with a replica down, among the replicas that are up "
                   "(not recorded as verified)");
  repair
      ->add_option("--node", options->node_id,
                   "Run the job on the node with this id; the contacted node when omitted")
      ->check(kNodeId);
  repair->add_flag("--no-wait", options->no_wait, "Print the job's id and return at once");

  auto status_node = std::make_shared<std::string>();
  auto* status = repair->add_subcommand(
      "status",
      "The node's repair state: running sessions, recent jobs, and when each token range was "
      "last verified");
  status
      ->add_option("--node", *status_node,
                   "Ask the node with this id; the contacted one when "
                   "omitted")
      ->check(kNodeId);
  status->callback([selected, status_node] {
    *selected = [status_node](AdminContext& ctx) { return run_repair_status(ctx, *status_node); };
  });
  // `repair status` runs its own callback first; `repair` alone starts a job.
  repair->callback([selected, options, repair] {
    if (repair->got_subcommand("status")) return;
    *selected = [options](AdminContext& ctx) { return run_repair(ctx, *options); };
  });
}

}  // namespace pairdb::admin
