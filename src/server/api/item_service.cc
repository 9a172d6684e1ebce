#include "server/api/item_service.h"

#include <fmt/format.h>

#include <pairdb/ring/hash_ring.h>

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
  if (replicator_ == nullptr) {
    run<WriteReply>(
        StorageWork::kWrite, deadline,
        [this, command = std::move(command)] { return write_now(command); }, std::move(done));
    return;
  }
  auto write = prepare_write(command, deadline);
  if (!write.is_ok()) {
    done(write.status());
    return;
  }
  // What the reply needs of the write, without keeping its value alive.
  auto item = std::make_shared<CoordinatedWrite>();
  item->table = write->table;
  item->partition_key = write->partition_key;
  item->sort_key = write->sort_key;
  replicator_->write(std::move(write).value(),
                     [this, item, done = std::move(done)](Result<CoordinatedWriteReply> applied) {
                       if (!applied.is_ok()) {
                         done(applied.status());
                         return;
                       }
                       done(write_reply(*item, *applied));
                     });
}

void ItemService::read(ReadCommand command, Instant deadline, Reply<ItemReply> done) {
  if (replicator_ == nullptr) {
    run<ItemReply>(
        StorageWork::kRead, deadline,
        [this, command = std::move(command)] { return read_now(command); }, std::move(done));
    return;
  }
  auto read = prepare_read(command, deadline);
  if (!read.is_ok()) {
    done(read.status());
    return;
  }
  auto item = std::make_shared<CoordinatedRead>(*read);
  replicator_->read(std::move(read).value(), [this, item, done = std::move(done)](
                                                 Result<replication::VersionRecord> record) {
    if (!record.is_ok()) {
      done(record.status());
      return;
    }
    done(item_reply(*item, *record));
  });
}

void ItemService::query(QueryCommand command, Instant deadline, Reply<QueryReply> done) {
  if (replicator_ == nullptr) {
    run<QueryReply>(
        StorageWork::kQuery, deadline,
        [this, command = std::move(command)] { return query_now(command); }, std::move(done));
    return;
  }
  auto range = prepare_query(command, deadline);
  if (!range.is_ok()) {
    done(range.status());
    return;
  }
  auto request = std::make_shared<CoordinatedRange>(*range);
  const uint32_t limit = range->limit;
  replicator_->range(std::move(range).value(), [this, request, limit, done = std::move(done)](
                                                   Result<CoordinatedRangeReply> page) {
    if (!page.is_ok()) {
      done(page.status());
      return;
    }
    done(query_reply(*request, limit, std::move(page).value()));
  });
}

void ItemService::inspect(ReadCommand command, Instant deadline, Reply<ReplicaReport> done) {
  auto read = prepare_read(command, deadline);
  if (!read.is_ok()) {
    done(read.status());
    return;
  }
  auto item = std::make_shared<CoordinatedRead>(*read);
  auto report = [this, item, done = std::move(done)](Result<std::vector<ReplicaCopy>> copies) {
    if (!copies.is_ok()) {
      done(copies.status());
      return;
    }
    done(replica_report(*item, *copies));
  };
  if (replicator_ != nullptr) {
    replicator_->inspect(std::move(read).value(), std::move(report));
    return;
  }
  options_.run_blocking([this, item, report = std::move(report)] {
    ReplicaCopy self;
    self.node_id = "local";
    self.is_self = true;
    auto record = store_->read({item->table->id, item->partition_key, item->sort_key});
    if (record.is_ok()) {
      self.record = std::move(record).value();
    } else {
      self.status = record.status();
    }
    report(std::vector<ReplicaCopy>{std::move(self)});
  });
}

ReplicaReport ItemService::replica_report(const CoordinatedRead& read,
                                          const std::vector<ReplicaCopy>& copies) const {
  const uint64_t now_ms = options_.clock->wall_ms();
  replication::VersionRecord merged;
  for (const ReplicaCopy& copy : copies) {
    if (copy.status.is_ok()) {
      merged = replication::merge(merged, copy.record, read.table->spec.conflict_mode);
    }
  }
  ReplicaReport report;
  report.token = ring::HashRing::token_of(read.partition_key);
  for (const ReplicaCopy& copy : copies) {
    ReplicaReport::Copy out;
    out.node_id = copy.node_id;
    out.address = copy.address;
    out.is_self = copy.is_self;
    if (!copy.status.is_ok()) {
      out.error = copy.status.to_string();
      report.replicas.push_back(std::move(out));
      continue;
    }
    auto view = replication::visible(copy.record, now_ms);
    out.found = view.found();
    out.siblings = take_live(view);
    for (const replication::Dot& dot : copy.record.context.entries()) {
      if (!out.context.empty()) out.context += ' ';
      out.context += fmt::format("{}:{}", dot.node.to_string().substr(0, 8), dot.counter);
    }
    out.digest = replication::record_digest(copy.record);
    out.agrees = copy.record == merged;
    report.replicas.push_back(std::move(out));
  }
  return report;
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

Result<CoordinatedWrite> ItemService::prepare_write(const WriteCommand& command,
                                                    Instant deadline) const {
  PAIRDB_TRY(validate_write(command));
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.key.table));
  CoordinatedWrite write;
  const std::string binding =
      item_binding(table->id, command.key.partition_key, command.key.sort_key);
  PAIRDB_ASSIGN_OR_RETURN(write.write.context, options_.contexts->open(command.context, binding));
  const uint64_t now_ms = options_.clock->wall_ms();
  const uint64_t ttl_ms = command.ttl_ms.value_or(table->spec.default_ttl_ms);
  // validate_write bounds a request's TTL and validate_table_spec a new table's default; a
  // table persisted before that bound existed is refused here rather than wrapping the expiry.
  if (ttl_ms > replication::kTtlMsMax || now_ms > UINT64_MAX - replication::kTtlMsMax) {
    return Status::invalid_argument(fmt::format(
        "table '{}' has default_ttl_ms {} above the maximum of {}; recreate it with a smaller one",
        command.key.table, ttl_ms, replication::kTtlMsMax));
  }
  write.write.tombstone = command.tombstone;
  write.write.value = command.value;
  write.write.content_type = command.content_type;
  write.write.expires_at_ms = (ttl_ms == 0 || command.tombstone) ? 0 : now_ms + ttl_ms;
  write.write.idempotency_key = command.idempotency_key;
  write.ttl_ms = command.tombstone ? 0 : ttl_ms;
  write.policy = write_policy_for(table->spec, options_.limits.idempotency_window_ms);
  write.consistency = command.consistency == replication::Consistency::kDefault
                          ? table->spec.write_consistency
                          : command.consistency;
  write.partition_key = command.key.partition_key;
  write.sort_key = command.key.sort_key;
  write.table = std::move(table);
  write.deadline = deadline;
  return write;
}

Result<WriteReply> ItemService::write_now(const WriteCommand& command) {
  PAIRDB_ASSIGN_OR_RETURN(auto write, prepare_write(command, Instant::max()));
  const uint64_t now_ms = options_.clock->wall_ms();
  const replication::ItemAddress address{write.table->id, write.partition_key, write.sort_key};
  auto outcome =
      store_->apply_write(address, write.write, write.policy, clock_->now(now_ms), now_ms);
  if (!outcome.is_ok()) {
    // Too many siblings is the client's to fix (read, merge, write back with the context).
    if (replication::is_sibling_limit(outcome.status())) {
      return Status::too_large(outcome.status().message());
    }
    return outcome.status();
  }
  return write_reply(write, CoordinatedWriteReply{std::move(outcome->record), outcome->duplicate,
                                                  outcome->siblings_warn});
}

WriteReply ItemService::write_reply(const CoordinatedWrite& write,
                                    const CoordinatedWriteReply& applied) {
  if (applied.siblings_warn) {
    warn_siblings(write.table->spec.name, applied.record.siblings.size(),
                  options_.clock->wall_ms());
  }
  return WriteReply{
      options_.contexts->seal(applied.record.context,
                              item_binding(write.table->id, write.partition_key, write.sort_key)),
      applied.duplicate};
}

void ItemService::warn_siblings(const std::string& table, size_t siblings, uint64_t now_ms) {
  sibling_warnings_.fetch_add(1, std::memory_order_relaxed);
  // At most one line per second: a hot item in conflict must not flood the log.
  uint64_t last = last_sibling_warning_ms_.load(std::memory_order_relaxed);
  if (now_ms < last + 1000 || !last_sibling_warning_ms_.compare_exchange_strong(last, now_ms)) {
    return;
  }
  PAIRDB_LOG_WARN("items",
                  "table '{}': an item has {} siblings (warn threshold crossed); clients should "
                  "read it and write back with the merged context",
                  table, siblings);
}

Result<CoordinatedRead> ItemService::prepare_read(const ReadCommand& command,
                                                  Instant deadline) const {
  PAIRDB_TRY(validate_key(command.key));
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.key.table));
  CoordinatedRead read;
  read.consistency = command.consistency == replication::Consistency::kDefault
                         ? table->spec.read_consistency
                         : command.consistency;
  read.table = std::move(table);
  read.partition_key = command.key.partition_key;
  read.sort_key = command.key.sort_key;
  read.deadline = deadline;
  return read;
}

Result<ItemReply> ItemService::read_now(const ReadCommand& command) {
  PAIRDB_ASSIGN_OR_RETURN(auto read, prepare_read(command, Instant::max()));
  const replication::ItemAddress address{read.table->id, read.partition_key, read.sort_key};
  PAIRDB_ASSIGN_OR_RETURN(auto record, store_->read(address));
  return item_reply(read, record);
}

ItemReply ItemService::item_reply(const CoordinatedRead& read,
                                  const replication::VersionRecord& record) const {
  auto view = replication::visible(record, options_.clock->wall_ms());
  ItemReply reply;
  reply.found = view.found();
  reply.context = options_.contexts->seal(
      view.context, item_binding(read.table->id, read.partition_key, read.sort_key));
  reply.siblings = take_live(view);
  return reply;
}

Result<CoordinatedRange> ItemService::prepare_query(const QueryCommand& command,
                                                    Instant deadline) const {
  const ItemLimits& limits = options_.limits;
  PAIRDB_TRY(validate_key(ItemKey{command.table, command.partition_key, {}}));
  if (command.limit > limits.query_page_items_max) {
    return Status::invalid_argument(fmt::format("query limit {} exceeds the page maximum of {}",
                                                command.limit, limits.query_page_items_max));
  }
  PAIRDB_ASSIGN_OR_RETURN(auto table, catalog_->require(command.table));
  CoordinatedRange range;
  if (!command.page_token.empty()) {
    PAIRDB_ASSIGN_OR_RETURN(
        range.after_sort_key,
        decode_page_token(command.page_token,
                          partition_fingerprint(table->id, command.partition_key)));
  }
  range.consistency = command.consistency == replication::Consistency::kDefault
                          ? table->spec.read_consistency
                          : command.consistency;
  range.table = std::move(table);
  range.partition_key = command.partition_key;
  range.from_sort_key = command.from_sort_key;
  range.to_sort_key = command.to_sort_key;
  range.limit = command.limit == 0 ? limits.query_page_items_max : command.limit;
  range.deadline = deadline;
  return range;
}

Result<QueryReply> ItemService::query_now(const QueryCommand& command) {
  PAIRDB_ASSIGN_OR_RETURN(auto range, prepare_query(command, Instant::max()));
  // A client's query of this node alone: live items as views, over more records than items.
  replication::ScanRequest scan = scan_request_of(range, options_.clock->wall_ms());
  scan.records = false;
  scan.scanned_max = std::max(kScanRecordsMin, scan.limit * kScanRecordsPerItem);
  PAIRDB_ASSIGN_OR_RETURN(auto page, store_->scan(scan));

  QueryReply reply;
  reply.items.reserve(page.items.size());
  for (auto& item : page.items) {
    std::string context = options_.contexts->seal(
        item.view.context, item_binding(range.table->id, range.partition_key, item.sort_key));
    reply.items.push_back({std::move(item.sort_key), take_live(item.view), std::move(context)});
  }
  if (page.resume_after) {
    reply.next_page_token = encode_page_token(
        partition_fingerprint(range.table->id, range.partition_key), *page.resume_after);
  }
  return reply;
}

QueryReply ItemService::query_reply(const CoordinatedRange& range, uint32_t limit,
                                    CoordinatedRangeReply page) const {
  const uint64_t now_ms = options_.clock->wall_ms();
  QueryReply reply;
  std::optional<std::string> resume_after = std::move(page.resume_after);
  for (size_t i = 0; i < page.records.size(); ++i) {
    RangeRecord& entry = page.records[i];
    auto view = replication::visible(entry.record, now_ms);
    if (!view.found()) continue;
    std::string context = options_.contexts->seal(
        view.context, item_binding(range.table->id, range.partition_key, entry.sort_key));
    reply.items.push_back({entry.sort_key, take_live(view), std::move(context)});
    // Replicas that disagree can give more records than the page holds: stop at the limit,
    // resuming after the last item answered.
    if (reply.items.size() == limit && (i + 1 < page.records.size() || resume_after)) {
      resume_after = entry.sort_key;
      break;
    }
  }
  if (resume_after) {
    reply.next_page_token = encode_page_token(
        partition_fingerprint(range.table->id, range.partition_key), *resume_after);
  }
  return reply;
}

}  // namespace pairdb::server
