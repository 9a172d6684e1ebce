// Runs one RepairSession between two BenchReplicas to completion with in-process message
// passing: each request goes straight to the peer's RepairResponder::handle and its reply back
// to on_reply (no sockets, no loss), so the figures are those of the algorithm and the storage
// engine, not of a network. Times each side's work and counts what would cross the network,
// by message kind.
//
// Single-threaded: call from the thread that owns both replicas.
#pragma once

#include <array>
#include <cstdint>

#include <pairdb/ring/types.h>
#include <pairdb/status.h>

#include "repair_bench/replica.h"
#include "replication/repair_session.h"

namespace pairdb::bench {

// Message kinds, in the order of RepairRequest's alternatives.
enum class RepairMessageKind : uint8_t { kTree, kLeaves, kFetch, kPush, kDone };
inline constexpr size_t kRepairMessageKinds = 5;
const char* repair_message_kind_name(RepairMessageKind kind);

struct RepairTraffic {
  std::array<uint64_t, kRepairMessageKinds> requests{};
  std::array<uint64_t, kRepairMessageKinds> request_bytes{};
  std::array<uint64_t, kRepairMessageKinds> reply_bytes{};
  uint64_t total_bytes() const;
};

// Seconds.
struct RepairTimes {
  double wall = 0;
  double cpu = 0;             // Process user + system CPU (engine threads included).
  double initiator_tree = 0;  // RepairSession::start: the initiator's scan and tree.
  double peer_tree = 0;       // The responder's requests that built its tree (scan and tree).
  double peer_rest = 0;       // The responder's other requests (leaves, fetches, pushes).
  double initiator_rest = 0;  // The session's on_reply and tick (leaf scans, merges, pushes).
};

struct RepairRun {
  Status status = Status::ok();
  replication::RepairSessionStats stats;
  RepairTimes times;
  RepairTraffic traffic;
  uint32_t depth = 0;  // Of the trees compared (the last sync's, after any deepening).
};

struct RepairRunOptions {
  replication::TableId table = 0;
  ring::TokenRange range;  // {0, 0}: the whole ring.
  replication::RepairSessionConfig session;
  uint64_t steps_max = 100'000'000;  // Bounds the message loop (a stuck session fails the run).
};

RepairRun run_repair(BenchReplica& initiator, BenchReplica& peer, const RepairRunOptions& options);

}  // namespace pairdb::bench
