// pairdb-admin: get, put, delete and query, for poking at data by hand.
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "admin/commands.h"
#include "admin/table_printer.h"
#include "admin/views.h"
#include "common/base64.h"

namespace pairdb::admin {
namespace {

using Align = TablePrinter::Align;

// Flags shared by the item commands.
struct ItemArgs {
  std::string table;
  std::string partition_key;
  std::string sort_key;
  std::string consistency = "default";
  std::string context_text;  // base64url, as printed by get.
};

const CLI::Validator kBase64Url(
    [](std::string& text) -> std::string {
      return base64url_decode(text) ? "" : "not base64url: '" + text + "'";
    },
    "BASE64URL");

void add_item_options(CLI::App* cmd, ItemArgs* args, bool with_context) {
  cmd->add_option("table", args->table, "Table name")->required();
  cmd->add_option("partition_key", args->partition_key, "Partition key (text)")->required();
  cmd->add_option("--sort-key", args->sort_key, "Sort key (text); none when omitted");
  cmd->add_option("--consistency", args->consistency, "one, quorum, all, local_quorum, ...")
      ->check(kConsistencyLevel);
  if (with_context) {
    cmd->add_option("--context", args->context_text,
                    "Causal context from a previous get (base64url); blind write when omitted")
        ->check(kBase64Url);
  }
}

std::string timestamp_text(uint64_t hlc) { return std::to_string(hlc); }

void print_siblings(std::ostream& out, const std::vector<client::Sibling>& siblings) {
  TablePrinter printer(
      {{"#", Align::kRight}, {"Value"}, {"Content type"}, {"Timestamp"}, {"Expires at ms"}});
  size_t i = 0;
  for (const auto& sibling : siblings) {
    printer.add_row({std::to_string(++i),
                     sibling.tombstone ? "(deleted)" : display_bytes(sibling.value),
                     sibling.content_type, timestamp_text(sibling.timestamp),
                     sibling.expires_at_ms ? std::to_string(sibling.expires_at_ms) : "-"});
  }
  printer.print(out);
}

void print_item(std::ostream& out, const client::GetResult& got) {
  if (!got.found) {
    out << "not found\n";
    return;
  }
  if (got.siblings.size() == 1 && !got.siblings[0].tombstone) {
    out << display_bytes(got.siblings[0].value) << '\n';
  } else {
    print_siblings(out, got.siblings);
  }
  out << "context: " << base64url_encode(got.context) << '\n';
}

// A missing item is an answer, not a failure: exit 0 either way, as `found` says which.
int run_get(AdminContext& ctx, const ItemArgs& args) {
  auto got = ctx.client().get({.table = args.table,
                               .partition_key = args.partition_key,
                               .sort_key = args.sort_key,
                               .consistency = *parse_consistency(args.consistency)});
  return show(ctx, got, print_item);
}

// put and delete answer with the item's new causal context, after `done` ("ok", "deleted").
template <class Written>
int show_context(AdminContext& ctx, const client::Expected<Written>& written,
                 std::string_view done) {
  return show(
      ctx, written,
      [](const Written& w) {
        return boost::json::object{{"context", base64url_encode(w.context)}};
      },
      [done](std::ostream& out, const Written& w) {
        out << done << ", context: " << base64url_encode(w.context) << '\n';
      });
}

struct PutArgs {
  ItemArgs item;
  std::string value;  // "-" = read standard input.
  std::string content_type;
  uint64_t ttl_ms = 0;
  std::string idempotency_key;
};

int run_put(AdminContext& ctx, const PutArgs& args) {
  std::string value = args.value;
  if (value == "-") {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  auto put = ctx.client().put({.table = args.item.table,
                               .partition_key = args.item.partition_key,
                               .sort_key = args.item.sort_key,
                               .value = std::move(value),
                               .content_type = args.content_type,
                               .context = *base64url_decode(args.item.context_text),
                               .consistency = *parse_consistency(args.item.consistency),
                               .ttl_ms = args.ttl_ms,
                               .idempotency_key = args.idempotency_key});
  return show_context(ctx, put, "ok");
}

int run_delete(AdminContext& ctx, const ItemArgs& args, const std::string& idempotency_key) {
  auto deleted = ctx.client().del({.table = args.table,
                                   .partition_key = args.partition_key,
                                   .sort_key = args.sort_key,
                                   .context = *base64url_decode(args.context_text),
                                   .consistency = *parse_consistency(args.consistency),
                                   .idempotency_key = idempotency_key});
  return show_context(ctx, deleted, "deleted");
}

struct QueryArgs {
  std::string table;
  std::string partition_key;
  std::optional<std::string> from;
  std::optional<std::string> to;
  uint32_t limit = 100;
  std::string page;
  std::string consistency = "default";
};

void print_page(std::ostream& out, const client::QueryResult& page) {
  TablePrinter printer({{"Sort key"}, {"Value"}, {"Siblings", Align::kRight}});
  for (const auto& item : page.items) {
    std::string value;
    for (const auto& sibling : item.siblings) {
      if (!value.empty()) value += " | ";
      value += sibling.tombstone ? "(deleted)" : display_bytes(sibling.value);
    }
    printer.add_row({display_bytes(item.sort_key), value, std::to_string(item.siblings.size())});
  }
  printer.print(out);
  if (!page.is_last_page()) {
    out << "more: --page " << base64url_encode(page.next_page_token) << '\n';
  }
}

int run_query(AdminContext& ctx, const QueryArgs& args) {
  auto page = ctx.client().query({.table = args.table,
                                  .partition_key = args.partition_key,
                                  .from_sort_key = args.from,
                                  .to_sort_key = args.to,
                                  .limit = args.limit,
                                  .page_token = *base64url_decode(args.page),
                                  .consistency = *parse_consistency(args.consistency)});
  return show(ctx, page, print_page);
}

}  // namespace

struct ReplicasArgs {
  std::string table;
  std::string partition_key;
  std::string sort_key;
};

boost::json::object replicas_json(const client::ReplicaCopies& copies) {
  boost::json::array replicas;
  for (const client::ReplicaCopy& copy : copies.replicas) {
    boost::json::object entry{
        {"node_id", copy.node_id}, {"address", copy.address}, {"is_self", copy.is_self}};
    if (!copy.error.empty()) {
      entry["error"] = copy.error;
    } else {
      boost::json::array siblings;
      for (const auto& sibling : copy.siblings) siblings.push_back(to_json(sibling));
      entry["found"] = copy.found;
      entry["siblings"] = std::move(siblings);
      entry["context"] = copy.context;
      entry["digest"] = fmt::format("{:016x}", copy.digest);
      entry["agrees"] = copy.agrees;
    }
    replicas.push_back(std::move(entry));
  }
  return boost::json::object{{"token", copies.token}, {"replicas", std::move(replicas)}};
}

void print_replicas(std::ostream& out, const client::ReplicaCopies& copies) {
  out << "Token: " << copies.token << '\n';
  TablePrinter printer({{"#", Align::kRight},
                        {"Host ID"},
                        {"Address"},
                        {"Agrees"},
                        {"Digest"},
                        {"Values"},
                        {"Context"}});
  for (size_t i = 0; i < copies.replicas.size(); ++i) {
    const client::ReplicaCopy& copy = copies.replicas[i];
    if (!copy.error.empty()) {
      printer.add_row({std::to_string(i + 1), copy.node_id, copy.address, "?", "-",
                       "error: " + copy.error, "-"});
      continue;
    }
    std::string values;
    for (const auto& sibling : copy.siblings) {
      if (!values.empty()) values += " | ";
      values += display_bytes(sibling.value);
    }
    printer.add_row({std::to_string(i + 1), copy.node_id, copy.address, copy.agrees ? "yes" : "NO",
                     fmt::format("{:016x}", copy.digest), copy.found ? values : "(none)",
                     copy.context.empty() ? "-" : copy.context});
  }
  printer.print(out);
}

int run_getreplicas(AdminContext& ctx, const ReplicasArgs& args) {
  return show(ctx,
              ctx.client().get_replicas(args.table, args.partition_key, args.sort_key, ctx.node()),
              replicas_json, print_replicas);
}

void add_data_commands(CLI::App& app, Action* selected) {
  auto replicas = std::make_shared<ReplicasArgs>();
  auto* replicas_cmd = app.add_subcommand(
      "getreplicas",
      "Each replica's own copy of one item (values, context, digest, whether it agrees), read "
      "without repairing anything");
  replicas_cmd->add_option("table", replicas->table, "Table name")->required();
  replicas_cmd->add_option("partition_key", replicas->partition_key, "Partition key (text)")
      ->required();
  replicas_cmd->add_option("sort_key", replicas->sort_key, "Sort key (text); none when omitted");
  replicas_cmd->callback([selected, replicas] {
    *selected = [replicas](AdminContext& ctx) { return run_getreplicas(ctx, *replicas); };
  });

  auto get = std::make_shared<ItemArgs>();
  auto* get_cmd = app.add_subcommand("get", "Read one item (every sibling, and its context)");
  add_item_options(get_cmd, get.get(), /*with_context=*/false);
  get_cmd->callback(
      [selected, get] { *selected = [get](AdminContext& ctx) { return run_get(ctx, *get); }; });

  auto put = std::make_shared<PutArgs>();
  auto* put_cmd = app.add_subcommand("put", "Write one item");
  add_item_options(put_cmd, &put->item, /*with_context=*/true);
  put_cmd->add_option("value", put->value, "The value (text); - reads it from standard input")
      ->required();
  put_cmd->add_option("--content-type", put->content_type, "Content type stored with the value");
  put_cmd->add_option("--ttl-ms", put->ttl_ms, "Time to live; 0 = the table's default");
  put_cmd->add_option("--idempotency-key", put->idempotency_key,
                      "Makes a retried write land once; generated when omitted");
  put_cmd->callback(
      [selected, put] { *selected = [put](AdminContext& ctx) { return run_put(ctx, *put); }; });

  auto del = std::make_shared<ItemArgs>();
  auto del_key = std::make_shared<std::string>();
  auto* del_cmd = app.add_subcommand("delete", "Delete one item");
  add_item_options(del_cmd, del.get(), /*with_context=*/true);
  del_cmd->add_option("--idempotency-key", *del_key,
                      "Makes a retried delete land once; generated when omitted");
  del_cmd->callback([selected, del, del_key] {
    *selected = [del, del_key](AdminContext& ctx) { return run_delete(ctx, *del, *del_key); };
  });

  auto query = std::make_shared<QueryArgs>();
  auto* query_cmd =
      app.add_subcommand("query", "Items of one partition in sort-key order, a page at a time");
  query_cmd->add_option("table", query->table, "Table name")->required();
  query_cmd->add_option("partition_key", query->partition_key, "Partition key (text)")->required();
  query_cmd->add_option("--from", query->from, "Smallest sort key (inclusive)");
  query_cmd->add_option("--to", query->to, "Largest sort key (inclusive)");
  query_cmd->add_option("--limit", query->limit, "Items per page")
      ->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  query_cmd->add_option("--page", query->page, "Page token printed by the previous page")
      ->check(kBase64Url);
  query_cmd->add_option("--consistency", query->consistency, "one, quorum, all, ...")
      ->check(kConsistencyLevel);
  query_cmd->callback([selected, query] {
    *selected = [query](AdminContext& ctx) { return run_query(ctx, *query); };
  });
}

}  // namespace pairdb::admin
