#include "replication/repair_protocol.h"

namespace pairdb::replication {

namespace {

constexpr size_t kScopeBytes = 8 + 8 + 16 + 4;
constexpr size_t kFrameBytes = 32;  // Frame header and table overheads, roughly.

size_t items_bytes(const std::vector<RepairItem>& items) {
  size_t bytes = 0;
  for (const RepairItem& item : items) bytes += item.storage_key.size() + item.record.size() + 8;
  return bytes;
}

struct RequestBytes {
  size_t operator()(const RepairTreeRequest& r) const { return kScopeBytes + 4 * r.nodes.size(); }
  size_t operator()(const RepairLeavesRequest& r) const {
    return kScopeBytes + 4 * r.leaves.size();
  }
  size_t operator()(const RepairFetchRequest& r) const {
    return kScopeBytes + 4 * r.leaves.size() + 8 * r.key_hashes.size() + 4;
  }
  size_t operator()(const RepairPushRequest& r) const { return 8 + items_bytes(r.items); }
  size_t operator()(const RepairDoneRequest& r) const { return 48 + 16 * r.replicas.size(); }
};

struct ReplyBytes {
  size_t operator()(const RepairTreeReply& r) const { return 8 + 8 * r.hashes.size(); }
  size_t operator()(const RepairLeavesReply& r) const { return 16 * r.entries.size(); }
  size_t operator()(const RepairFetchReply& r) const { return 1 + items_bytes(r.items); }
  size_t operator()(const RepairPushReply&) const { return 4; }
  size_t operator()(const RepairDoneReply&) const { return 0; }
};

}  // namespace

size_t repair_message_bytes(const RepairRequest& request) {
  return kFrameBytes + std::visit(RequestBytes{}, request);
}

size_t repair_message_bytes(const RepairReply& reply) {
  return kFrameBytes + std::visit(ReplyBytes{}, reply);
}

}  // namespace pairdb::replication
