// The opcode table: the one list of the client protocol's operations. The Opcode enum, the
// list of every opcode, their names, the request and response tables each payload is verified
// as (wire::<Name>Request, wire::<Name>Response in client.fbs), and the group that decides
// where a request is served all expand from it, so adding an operation is one line here plus
// its handler.
//
// Groups:
//   kConnection  Hello, Ping: answered on the connection's io thread, never queued behind
//                storage work, so a health check measures the node and not its disk;
//   kItems       Put, Get, Delete, Query: ItemService;
//   kTables      table management: TableService;
//   kCluster     views of membership and the ring, read from in-memory snapshots;
//   kAdmin       node administration (flush, compact, stats, hinted handoff, repair): the worker
//                pool.
#pragma once

// X(Name, number, group)
#define PAIRDB_OPCODES(X)          \
  X(Hello, 1, kConnection)         \
  X(Ping, 2, kConnection)          \
  X(Put, 10, kItems)               \
  X(Get, 11, kItems)               \
  X(Delete, 12, kItems)            \
  X(Query, 13, kItems)             \
  X(CreateTable, 20, kTables)      \
  X(DropTable, 21, kTables)        \
  X(ListTables, 22, kTables)       \
  X(DescribeTable, 23, kTables)    \
  X(Topology, 30, kCluster)        \
  X(GetEndpoints, 31, kCluster)    \
  X(DescribeCluster, 32, kCluster) \
  X(GetReplicas, 33, kCluster)     \
  X(Status, 40, kCluster)          \
  X(Info, 41, kAdmin)              \
  X(TableStats, 42, kAdmin)        \
  X(Flush, 43, kAdmin)             \
  X(Compact, 44, kAdmin)           \
  X(GossipInfo, 45, kCluster)      \
  X(HandoffStatus, 46, kAdmin)     \
  X(HandoffControl, 47, kAdmin)    \
  X(RepairRun, 48, kAdmin)         \
  X(RepairStatus, 49, kAdmin)      \
  X(SchemaPull, 60, kCluster) /* Internal: node to node. */
