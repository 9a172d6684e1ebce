#include "server/api/item_service.h"

#include <fmt/format.h>

#include "common/assert.h"
#include "common/coding.h"
#include "common/hash.h"
#include "server/log.h"

namespace pairdb::server {
namespace {

constexpr uint8_t kPageTokenFormat = 1;
// A page examines at most this many records per returned item slot, so a partition full of
// tombstones answers a short page (with a token) instead of scanning without bound.
constexpr uint32_t kScanRecordsPerItem = 10;
constexpr uint32_t kScanRecordsMin = 1000;

uint64_t partition_fingerprint(replication::TableId table, std::string_view partition_key) {
  std::string bytes;
  put_fixed64(&bytes, table);
  bytes.append(partition_key);
  return hash64(bytes);
}

std::string encode_page_token(uint64_t fingerprint, std::string_view last_sort_key) {
  std::string token;
  token.push_back(static_cast<char>(kPageTokenFormat));
  put_fixed64(&token, fingerprint);
  token.append(last_sort_key);
  return token;
}

Result<std::string> decode_page_token(std::string_view token, uint64_t fingerprint) {
  uint64_t stored = 0;
  if (token.empty() || static_cast<uint8_t>(token[0]) != kPageTokenFormat) {
    return Status::invalid_argument("malformed page token");
  }
  token.remove_prefix(1);
  if (!get_fixed64(&token, &stored)) return Status::invalid_argument("malformed page token");
  if (stored != fingerprint) {
    return Status::invalid_argument("page token belongs to another table or partition");
  }
  return std::string(token);
}

// What a context is bound to: one item of one table (context_auth.h).
std::string item_binding(replication::TableId table, std::string_view partition_key,
                         std::string_view sort_key) {
  std::string binding;
  put_fixed64(&binding, table);
  put_length_prefixed(&binding, partition_key);
  binding.append(sort_key);
  return binding;
}

std::vector<replication::Sibling> take_live(replication::ItemView& view) {
  return std::move(view.live);
}

}  // namespace

ItemService::ItemService(ItemServiceOptions options, Catalog* catalog,
                         replication::ReplicaStore* store, replication::HybridClock* clock)
    : options_(std::move(options)), catalog_(catalog), store_(store), clock_(clock) {
  PAIRDB_ASSERT(options_.run_blocking);
  PAIRDB_ASSERT(options_.clock != nullptr);
  PAIRDB_ASSERT(options_.contexts != nullptr);
}

template <typename T>
void ItemService::run(StorageWork kind, Instant deadline, std::function<Result<T>()> work,
                      Reply<T> done) {
  if (options_.run_inline && options_.run_inline(kind)) {
    done(work());
    return;
  }
  options_.run_blocking([this, deadline, work = std::move(work), done = std::move(done)] {
    if (options_.clock->monotonic() > deadline) {
      done(Status::timeout("the request waited past its deadline before it could start"));
      return;
    }
    done(work());
  });
}

void ItemService::write(WriteCommand command, Instant deadline, Reply<WriteReply> done) {
  run<WriteReply>(
      StorageWork::kWrite, deadline,
      [this, command = std::move(command)] { return write_now(command); }, std::move(done));
}

void ItemService::read(ReadCommand command, Instant deadline, Reply<ItemReply> done) {
  run<ItemReply>(
      StorageWork::kRead, deadline,
      [this, command = std::move(command)] { return read_now(command); }, std::move(done));
}

void ItemService::query(QueryCommand command, Instant deadline, Reply<QueryReply> done) {
  run<QueryReply>(
      StorageWork::kQuery, deadline,
      [this, command = std::move(command)] { return query_now(command); }, std::move(done));
}

Status ItemService::validate_key(const ItemKey& key) const {
  const ItemLimits& limits = options_.limits;
  if (key.partition_key.empty()) return Status::invalid_argument("the partition key is empty");
  // A key is not a payload: an over-long one is an invalid request (400), not 413.
  if (key.partition_key.size() > limits.partition_key_bytes_max) {
    return Status::invalid_argument(fmt::format("partition key is {} bytes (max {})",
                                                key.partition_key.size(),
                                                limits.partition_key_bytes_max));
  }
  if (key.sort_key.size() > limits.sort_key_bytes_max) {
    return Status::invalid_argument(fmt::format("sort key is {} bytes (max {})",
                                                key.sort_key.size(), limits.sort_key_bytes_max));
  }
  return Status::ok();
}

Status ItemService::validate_write(const WriteCommand& command) const {
  const ItemLimits& limits = options_.limits;
  PAIRDB_TRY(validate_key(command.key));
  if (command.value.size() > limits.value_bytes_max) {
    return Status::too_large(
        fmt::format("value is {} bytes (max {})", command.value.size(), limits.value_bytes_max));
  }
  if (command.content_type.size() > limits.content_type_bytes_max) {
    return Status::too_large(fmt::format("content type is {} bytes (max {})",
                                         command.content_type.size(),
                                         limits.content_type_bytes_max));
  }
  // The content type comes back as an HTTP header and in JSON: visible ASCII and spaces only,
  // so no client can inject a header line or invalid UTF-8 through it.
  for (char c : command.content_type) {
    if (c < 0x20 || c > 0x7e) {
      return Status::invalid_argument(
          "content type may hold only printable ASCII characters (RFC 9110 media type)");
    }
  }
  if (command.idempotency_key.size() > limits.idempotency_key_bytes_max) {
    return Status::too_large(fmt::format("idempotency key is {} bytes (max {})",
                                         command.idempotency_key.size(),
                                         limits.idempotency_key_bytes_max));
  }
  if (command.ttl_ms && *command.ttl_ms > replication::kTtlMsMax) {
    return Status::invalid_argument(fmt::format("ttl_ms {} exceeds the maximum of {} (20 years)",
                                                *command.ttl_ms, replication::kTtlMsMax));
  }
  return Status::ok();
}

Result<WriteReply> ItemService::write_now(const WriteCommand& command) {
  PAIRDB_TRY(validate_write(command));
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.key.table));
  const std::string binding =
      item_binding(table->id, command.key.partition_key, command.key.sort_key);
  replication::LocalWrite write;
  PAIRDB_ASSIGN_OR_RETURN(write.context, options_.contexts->open(command.context, binding));
  const uint64_t now_ms = options_.clock->wall_ms();
  const uint64_t ttl_ms = command.ttl_ms.value_or(table->spec.default_ttl_ms);
  // validate_write bounds a request's TTL and validate_table_spec a new table's default; a
  // table persisted before that bound existed is refused here rather than wrapping the expiry.
  if (ttl_ms > replication::kTtlMsMax || now_ms > UINT64_MAX - replication::kTtlMsMax) {
    return Status::invalid_argument(fmt::format(
        "table '{}' has default_ttl_ms {} above the maximum of {}; recreate it with a smaller one",
        command.key.table, ttl_ms, replication::kTtlMsMax));
  }
  write.tombstone = command.tombstone;
  write.value = command.value;
  write.content_type = command.content_type;
  write.expires_at_ms = (ttl_ms == 0 || command.tombstone) ? 0 : now_ms + ttl_ms;
  write.idempotency_key = command.idempotency_key;

  replication::WritePolicy policy;
  policy.mode = table->spec.conflict_mode;
  policy.siblings_warn = table->spec.siblings_warn;
  policy.siblings_max = table->spec.siblings_max;
  policy.idempotency_window_ms = options_.limits.idempotency_window_ms;
  const replication::ItemAddress address{table->id, command.key.partition_key,
                                         command.key.sort_key};
  auto outcome = store_->apply_write(address, write, policy, clock_->now(now_ms), now_ms);
  if (!outcome.is_ok()) {
    // Too many siblings is the client's to fix (read, merge, write back with the context).
    if (replication::is_sibling_limit(outcome.status())) {
      return Status::too_large(outcome.status().message());
    }
    return outcome.status();
  }
  if (outcome->siblings_warn) warn_siblings(command, outcome->record.siblings.size(), now_ms);
  return WriteReply{options_.contexts->seal(outcome->record.context, binding), outcome->duplicate};
}

void ItemService::warn_siblings(const WriteCommand& command, size_t siblings, uint64_t now_ms) {
  sibling_warnings_.fetch_add(1, std::memory_order_relaxed);
  // At most one line per second: a hot item in conflict must not flood the log.
  uint64_t last = last_sibling_warning_ms_.load(std::memory_order_relaxed);
  if (now_ms < last + 1000 || !last_sibling_warning_ms_.compare_exchange_strong(last, now_ms)) {
    return;
  }
  PAIRDB_LOG_WARN("items",
                  "table '{}': an item has {} siblings (warn threshold crossed); clients should "
                  "read it and write back with the merged context",
                  command.key.table, siblings);
}

Result<ItemReply> ItemService::read_now(const ReadCommand& command) {
  PAIRDB_TRY(validate_key(command.key));
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.key.table));
  const replication::ItemAddress address{table->id, command.key.partition_key,
                                         command.key.sort_key};
  PAIRDB_ASSIGN_OR_RETURN(auto record, store_->read(address));
  auto view = replication::visible(record, options_.clock->wall_ms());
  ItemReply reply;
  reply.found = view.found();
  reply.context = options_.contexts->seal(
      view.context, item_binding(table->id, command.key.partition_key, command.key.sort_key));
  reply.siblings = take_live(view);
  return reply;
}

Result<QueryReply> ItemService::query_now(const QueryCommand& command) {
  const ItemLimits& limits = options_.limits;
  PAIRDB_TRY(validate_key(ItemKey{command.table, command.partition_key, {}}));
  if (command.limit > limits.query_page_items_max) {
    return Status::invalid_argument(fmt::format("query limit {} exceeds the page maximum of {}",
                                                command.limit, limits.query_page_items_max));
  }
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.table));
  const uint64_t fingerprint = partition_fingerprint(table->id, command.partition_key);
  replication::ScanRequest scan;
  scan.table = table->id;
  scan.partition_key = command.partition_key;
  scan.from_sort_key = command.from_sort_key;
  scan.to_sort_key = command.to_sort_key;
  if (!command.page_token.empty()) {
    PAIRDB_ASSIGN_OR_RETURN(scan.after_sort_key,
                            decode_page_token(command.page_token, fingerprint));
  }
  scan.limit = command.limit == 0 ? limits.query_page_items_max : command.limit;
  scan.scanned_max = std::max(kScanRecordsMin, scan.limit * kScanRecordsPerItem);
  scan.now_wall_ms = options_.clock->wall_ms();
  PAIRDB_ASSIGN_OR_RETURN(auto page, store_->scan(scan));

  QueryReply reply;
  reply.items.reserve(page.items.size());
  for (auto& item : page.items) {
    std::string context = options_.contexts->seal(
        item.view.context, item_binding(table->id, command.partition_key, item.sort_key));
    reply.items.push_back({std::move(item.sort_key), take_live(item.view), std::move(context)});
  }
  if (page.resume_after) reply.next_page_token = encode_page_token(fingerprint, *page.resume_after);
  return reply;
}

}  // namespace pairdb::server
