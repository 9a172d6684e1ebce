#!/usr/bin/env bash
# Hinted handoff on this machine: what a write that leaves a hint costs, and how fast hints are
# delivered once their target is back, on a 3-node pairdb cluster over loopback.
#
#   bench/handoff.sh [--ops N] [--clients C] [--value-size B] [--no-build] [--bin-dir DIR]
#
# Defaults: 200000 writes of 100 B, 50 clients, a table with replication {"dc1": 3}, QUORUM.
#   1. all three nodes up: pairdb-bench writes N keys at QUORUM (every write reaches all three:
#      no hint);
#   2. node 3 killed (SIGKILL) and seen dead: the same N writes again, through nodes 1 and 2
#      (every write leaves a hint for node 3 on its coordinator);
#   3. node 3 restarted: the time from its restart until nodes 1 and 2 hold no hints, and the
#      delivered hints and bytes over that time (hints/s, MB/s), throttle off.
# Durability as in bench/compare-cluster.sh: wal_sync = "none", io_threads 1. Every process this
# script starts is stopped on exit; data lives in a temporary directory.
set -eEuo pipefail
cd "$(dirname "$0")/.."

OPS=200000
CLIENTS=50
VALUE_SIZE=100
BUILD=1
BIN=build/bin
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ops) OPS="$2"; shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --value-size) VALUE_SIZE="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --bin-dir) BIN="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ $BUILD == 1 ]]; then
  cmake --preset release >/dev/null && cmake --build --preset release -j 2 --target pairdb pairdb-bench
fi

DIR=$(mktemp -d /tmp/pairdb-handoff.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
openssl rand -hex 32 >"$DIR/ctx.key"
chmod 600 "$DIR/ctx.key"

start_node() {  # start_node I
  local i=$1 seeds=()
  [[ $i -gt 1 ]] && seeds=(--seeds 127.0.0.1:18501)
  "$BIN/pairdb" --data-dir "$DIR/n$i" --context-key-file "$DIR/ctx.key" \
    --listen "127.0.0.$i:18500" --http-listen "127.0.0.$i:18580" \
    --gossip-listen "127.0.0.$i:18501" --internode-listen "127.0.0.$i:18502" \
    --rack "r$i" --tables.default_replication_factor 3 --storage.wal_sync none \
    --network.io_threads 1 --log.level warn "${seeds[@]}" 2>>"$DIR/n$i.log" &
  PIDS[$i]=$!
}
metric() {  # metric I NAME: an unlabelled sample of node I, 0 when absent
  curl -s "127.0.0.$1:18580/metrics" | awk -v m="$2" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [[ $SECONDS -ge $deadline ]] && { echo "timed out waiting for: $*" >&2; exit 1; }
    sleep 0.1
  done
}
ring_of() { [[ $(metric "$1" pairdb_ring_nodes) == "$2" ]]; }
dead_seen() { curl -s 127.0.0.1:18580/metrics | grep -q 'pairdb_gossip_members{state="dead"} 1'; }
no_hints() { [[ $(metric 1 pairdb_hints_bytes) == 0 && $(metric 2 pairdb_hints_bytes) == 0 ]]; }
now_s() { date +%s.%N; }

for i in 1 2 3; do start_node "$i"; done
wait_for 30 ring_of 1 3
curl -s -X PUT 127.0.0.1:18580/v1/tables/handoff \
  -d '{"conflict_mode":"lww","replication":{"dc1":3}}' >/dev/null
sleep 1  # The schema reaches the other nodes (gossip).

bench() {  # bench HOSTS LABEL
  "$BIN/pairdb-bench" --hosts "$1" --table handoff --consistency quorum --concurrency "$CLIENTS" \
    --records "$OPS" --value-size "$VALUE_SIZE" --ops "$OPS" --workload W --warmup 0 --quiet \
    --no-load | awk -v label="$2" '$1 == "put" { printf "%-28s %10s ops/s  p50 %8s us  p99 %8s us\n", label, $4, $5, $7 }'
}
echo "== $OPS QUORUM writes of $VALUE_SIZE B, $CLIENTS clients, $(date -u +%FT%TZ), $(nproc) cores"
bench 127.0.0.1:18500,127.0.0.2:18500,127.0.0.3:18500 "all replicas up (no hint)"
kill -9 "${PIDS[3]}"
wait "${PIDS[3]}" 2>/dev/null || true
wait_for 30 dead_seen
bench 127.0.0.1:18500,127.0.0.2:18500 "one replica dead (a hint each)"
D1=$(metric 1 pairdb_hints_delivered); D2=$(metric 2 pairdb_hints_delivered)
B1=$(metric 1 pairdb_hints_delivered_bytes); B2=$(metric 2 pairdb_hints_delivered_bytes)
HINTS=$(( $(metric 1 pairdb_hints_stored) + $(metric 2 pairdb_hints_stored) ))
START=$(now_s)
start_node 3
wait_for 600 no_hints
END=$(now_s)
DELIVERED=$(( $(metric 1 pairdb_hints_delivered) + $(metric 2 pairdb_hints_delivered) - D1 - D2 ))
BYTES=$(( $(metric 1 pairdb_hints_delivered_bytes) + $(metric 2 pairdb_hints_delivered_bytes) - B1 - B2 ))
awk -v h="$DELIVERED" -v b="$BYTES" -v s="$START" -v e="$END" -v stored="$HINTS" 'BEGIN {
  t = e - s
  printf "hints stored %d; delivered %d (%.1f MB) in %.2f s after the restart (gossip included):\n", stored, h, b / 1e6, t
  printf "  %.0f hints/s, %.1f MB/s\n", h / t, b / 1e6 / t
}'
