#!/usr/bin/env bash
# Foreground latency during anti-entropy repair at its default rate, on this machine: a 3-node
# pairdb cluster (127.0.0.1-3, replication {"dc1": 3}) runs the same foreground workload three
# times and reports how much a running repair raises its p99.
#
#   bench/repair-impact.sh [--records N] [--clients C] [--seconds S | --ops N]
#                          [--server-threads N] [--no-build] [--bin-dir DIR] [--keep] [--perf]
#
# Defaults: 1200000 records of 100 B, 8 clients, 25 s per phase. (At 8 MiB/s a repair moves
# about 33 000 such records a second, the record plus its key, version and framing: 300000
# records take about 9 s, which is over long before a 25 s phase ends; 1200000 take about 36 s.)
# The nodes run with repair.interval_ms = 0 (no background scheduling: only the repairs started
# here run), the default repair.rate_bytes_per_sec (8 MiB/s per node), wal_sync = "none" and
# io_threads N (--server-threads, default 1), as bench/compare-cluster.sh runs them.
# pairdb-bench loads every record at ALL, every node flushes and compacts the table (so no
# compaction of the load runs in a phase), then each phase runs workload A (50 % reads, 50 %
# updates of loaded records, uniform keys) at QUORUM, closed loop, C clients, 1 in flight:
#   a: baseline, no repair running;
#   b: `pairdb-admin repair TABLE --no-wait` on node 1, started right before the phase and
#      topped up (polled every second) so that two jobs are always queued or running: the node
#      runs them back to back, so a repair between identical replicas (Merkle tree builds: a
#      scan of the table on all three nodes, nothing to move) runs throughout;
#   c0: node 3 loses its disk: stopped, its data directory emptied but for node_id, restarted at
#      its old tokens (--node.initial_tokens); no repair yet: QUORUM reads that ask node 3 find
#      nothing there and read-repair it, which costs the foreground on its own;
#   c: then `pairdb-admin repair TABLE --no-wait` on node 3 fetches its share (every record) at
#      the default settings; the phase starts once the session is fetching records (its tree
#      builds, which phase b measures, are over) and runs while the data moves. The clients'
#      contact points are nodes 1 and 2 (the SDK learns node 3 from the topology and sends it
#      the requests for the keys it is primary of, as in a and b); node 3 gets every write as a
#      replica, and QUORUM reads may ask it (and read-repair what it lacks).
#      The job is checked at the end of the phase (still running? bytes moved), then awaited.
# Routing: the SDK sends each request to its key's primary replica, which coordinates it, so
# the three nodes share the coordination.
# Prints ops/s, p50, p99 and p99.9 of each phase (all operations, and reads and updates apart),
# the ratios p99(b)/p99(a) and p99(c)/p99(c0) against the target (< 1.2: a repair at its
# default settings raises foreground p99 by less than 20 %; b is what the background scheduler
# does, c an operator restoring a lost disk), p99(c0)/p99(a) and p99(c)/p99(a) (what the empty
# replica costs with and without its repair), the repair jobs' figures, the repair metrics'
# growth per phase, and the CPU time each node used per phase next to the whole machine's (the
# rest is pairdb-bench and whatever else runs). --perf also records every node with
# `perf record -e cpu-clock -g` during phases b and c and keeps the profiles (implies --keep).
# Every process this script starts is stopped on exit; data lives in a temporary directory
# (--keep keeps it).
set -eEuo pipefail
cd "$(dirname "$0")/.."

RECORDS=1200000
CLIENTS=8
SECONDS_PER_PHASE=25
OPS=""
VALUE_SIZE=100
SERVER_THREADS=1
LOAD_CLIENTS=32
BUILD=1
BIN=build/bin
KEEP=0
PERF=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --seconds) SECONDS_PER_PHASE=$2; OPS=""; shift 2 ;;
    --ops) OPS=$2; shift 2 ;;
    --server-threads) SERVER_THREADS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --bin-dir) BIN=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --perf) PERF=1; KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "repair-impact: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

tools=(python3 cmake openssl)
if [ "$PERF" = 1 ]; then tools+=(perf); fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "repair-impact: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "${JOBS:-$(nproc)}" \
    --target pairdb pairdb-admin pairdb-bench >/dev/null
fi
for binary in pairdb pairdb-admin pairdb-bench; do
  [ -x "$BIN/$binary" ] || { echo "repair-impact: $BIN/$binary not built (drop --no-build)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/pairdb-repair-impact.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "repair-impact: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'echo "repair-impact: interrupted (SIGINT)" >&2; exit 130' INT  # Exit through the EXIT trap.
trap 'echo "repair-impact: terminated (SIGTERM)" >&2; exit 143' TERM
trap 'echo "repair-impact: failed at line $LINENO: $BASH_COMMAND (logs: rerun with --keep)" >&2' ERR

# stop PID...: stops the given servers (SIGTERM) and waits until they are gone.
stop() {
  kill "$@" 2>/dev/null || true
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# run_load COMMAND...: runs a load client to completion in the background, so that Ctrl-C or
# SIGTERM interrupts the wait at once and the EXIT trap stops it with the servers.
run_load() {
  "$@" &
  local pid=$!
  PIDS+=("$pid")
  local status=0
  wait "$pid" || status=$?
  if [ "$status" != 0 ]; then echo "repair-impact: $1 exited with status $status" >&2; fi
  return "$status"
}

# free_port HOST: a TCP port nothing listens on at HOST.
free_port() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# http METHOD URL [BODY]: prints the response body; fails unless the status is 2xx.
http() {
  python3 - "$@" <<'PY'
import sys, urllib.request
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
request = urllib.request.Request(url, data=body, method=method)
with urllib.request.urlopen(request, timeout=2) as response:
    sys.stdout.write(response.read().decode())
PY
}

# wait_for DESCRIPTION COMMAND...: polls COMMAND every 100 ms for up to 60 s.
wait_for() {
  local what=$1; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "repair-impact: $what not ready within 60 s (logs in $WORK; --keep keeps them)" >&2
  exit 1
}

# ---- the cluster -----------------------------------------------------------------------------
(umask 077; openssl rand -hex 32 >"$WORK/context.key")
TABLE=repair_impact
HOST=() PORT=() HTTP_PORT=() GOSSIP=() INTERNODE=() NODE_PID=() URL=()
for i in 1 2 3; do
  HOST[i]=127.0.0.$i
  PORT[i]=$(free_port "${HOST[i]}")
  HTTP_PORT[i]=$(free_port "${HOST[i]}")
  GOSSIP[i]=$(free_port "${HOST[i]}")
  INTERNODE[i]=$(free_port "${HOST[i]}")
  URL[i]="http://${HOST[i]}:${HTTP_PORT[i]}"
done

# start_node I [ARG...]: starts node I (always on the same addresses, node 1 as the seed) with
# the extra arguments; sets NODE_PID[I]. Its log is appended to nodeI.log.
start_node() {
  local i=$1; shift
  local args=(--data-dir "$WORK/node$i" --context-key-file "$WORK/context.key"
              --listen "${HOST[i]}:${PORT[i]}" --http-listen "${HOST[i]}:${HTTP_PORT[i]}"
              --gossip-listen "${HOST[i]}:${GOSSIP[i]}"
              --internode-listen "${HOST[i]}:${INTERNODE[i]}"
              --dc dc1 --rack "rack-node$i" --tables.default_replication_factor 3
              --storage.wal_sync none --network.io_threads "$SERVER_THREADS"
              --repair.interval_ms 0 --log.level warn)
  if [ "$i" != 1 ]; then args+=(--seeds "${HOST[1]}:${GOSSIP[1]}"); fi
  "$BIN/pairdb" "${args[@]}" "$@" 2>>"$WORK/node$i.log" &
  NODE_PID[i]=$!
  PIDS+=("${NODE_PID[i]}")
}

# admin I ARG...: pairdb-admin --json against node I.
admin() {
  local i=$1; shift
  "$BIN/pairdb-admin" -h "${HOST[i]}" -p "${PORT[i]}" --json "$@"
}

# pairdb_sees URL NODES: the node at URL has NODES alive members, all of them on its ring.
pairdb_sees() {
  local metrics
  metrics=$(http GET "$1/metrics") || return 1
  grep -qx "pairdb_gossip_members{state=\"alive\"} $2" <<<"$metrics" &&
    grep -qx "pairdb_ring_nodes $2" <<<"$metrics"
}

# pairdb_table_is URL: the node at URL knows the table, replicated 3 times in dc1.
pairdb_table_is() {
  http GET "$1/v1/tables/$TABLE" | python3 -c \
    'import json, sys; sys.exit(json.load(sys.stdin)["replication"] != {"dc1": 3})'
}

# table_records I: the records node I holds of the table (its own copy), from tablestats.
table_records() {
  admin "$1" tablestats "$TABLE" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)[sys.argv[1]]["records"])' "$TABLE"
}

# hosts_of I...: "host:port,host:port" of the given nodes.
hosts_of() {
  local list=() i
  for i in "$@"; do list+=("${HOST[i]}:${PORT[i]}"); done
  (IFS=,; echo "${list[*]}")
}

# bench_phase LABEL HOSTS: one measured foreground phase (workload A at QUORUM), report to
# LABEL.txt and LABEL.json.
bench_phase() {
  local label=$1 hosts=$2 length
  if [ -n "$OPS" ]; then length=(--ops "$OPS"); else length=(--duration "${SECONDS_PER_PHASE}s"); fi
  date +%s%3N >"$WORK/$label.start_ms"
  run_load "$BIN/pairdb-bench" --hosts "$hosts" --table "$TABLE" --consistency quorum \
    --concurrency "$CLIENTS" --records "$RECORDS" --value-size "$VALUE_SIZE" --workload A \
    "${length[@]}" --warmup 0 --no-load --quiet --json "$WORK/$label.json" >"$WORK/$label.txt"
  date +%s%3N >"$WORK/$label.end_ms"
}

# start_repair I: starts a repair job of the table on node I; prints its id.
start_repair() {
  admin "$1" repair "$TABLE" --no-wait | tr -dc '0-9'
}

# repair_job I ID: prints job ID as node I's repair status lists it (one JSON line), or
# {"id": ID, "state": "unlisted"} when the node lists it no longer (or not yet).
repair_job() {
  admin "$1" repair status | python3 -c '
import json, sys
job_id = int(sys.argv[1])
jobs = [j for j in json.load(sys.stdin)["jobs"] if j["id"] == job_id]
print(json.dumps(jobs[0] if jobs else {"id": job_id, "state": "unlisted"}))' "$2"
}

# jobs_seen STATUS_JSON SEEN OUT: of the jobs a repair status lists, appends to OUT (JSON lines)
# each finished one whose id is not in SEEN yet (and adds it there); prints how many run.
cat >"$WORK/jobs_seen.py" <<'PY'
import json, os, sys
status, seen_path, out_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = set(open(seen_path).read().split()) if os.path.exists(seen_path) else set()
running = 0
with open(out_path, "a") as out, open(seen_path, "a") as seen_file:
    for job in sorted(status["jobs"], key=lambda j: j["id"]):
        if job["state"] == "running":
            running += 1
        elif str(job["id"]) not in seen:
            out.write(json.dumps(job) + "\n")
            seen_file.write("%d\n" % job["id"])
print(running)
PY

# repair_loop I STOPFILE OUT DEPTH: until STOPFILE exists, polls node I's repair status every
# 2 s, appends every job that finished to OUT as a JSON line, and keeps DEPTH repair jobs of the
# table queued or running there (the node runs its jobs one after the other, so with enough of
# them queued one always runs). DEPTH 0 only polls: the same client-side work without repair.
repair_loop() {
  local i=$1 stopfile=$2 out=$3 depth=$4 status running
  while [ ! -e "$stopfile" ]; do
    status=$(admin "$i" repair status) || { sleep 2; continue; }
    running=$(python3 "$WORK/jobs_seen.py" "$status" "$out.seen" "$out")
    while [ "$running" -lt "$depth" ]; do
      start_repair "$i" >/dev/null || echo '{"state": "start failed"}' >>"$out"
      running=$((running + 1))
    done
    sleep 2
  done
}

# await_jobs I OUT: waits (up to 15 min) until node I runs no repair job; appends the jobs that
# finished meanwhile to OUT.
await_jobs() {
  local status running
  for _ in $(seq 900); do
    status=$(admin "$1" repair status) || { sleep 1; continue; }
    running=$(python3 "$WORK/jobs_seen.py" "$status" "$2.seen" "$2")
    if [ "$running" = 0 ]; then return 0; fi
    sleep 1
  done
  echo "repair-impact: node $1 still runs repair jobs after 15 min" >&2
}

# await_repair I ID OUT: waits (up to 15 min) until job ID on node I finished; writes its last
# state to OUT.
# await_transfer I: waits (up to 5 min) until node I's running repair session has fetched
# records: its tree builds (measured in phase b) are over and the data is moving.
await_transfer() {
  for _ in $(seq 600); do
    if admin "$1" repair status | python3 -c '
import json, sys
sessions = json.load(sys.stdin)["sessions"]
sys.exit(0 if any(s["records_fetched"] > 0 for s in sessions) else 1)'; then return 0; fi
    sleep 0.5
  done
  echo "repair-impact: node $1's repair moved no record within 5 min" >&2
  exit 1
}

await_repair() {
  local job state
  for _ in $(seq 1800); do
    job=$(repair_job "$1" "$2") || { sleep 0.5; continue; }
    state=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["state"])' "$job")
    if [ "$state" != running ]; then break; fi
    sleep 0.5
  done
  echo "$job" >"$3"
}

# snapshot LABEL: the machine's CPU ticks (/proc/stat), each node's (utime + stime) and this
# shell's reaped children's, and the nodes' repair metrics, to cpu-LABEL and metrics-LABEL.
snapshot() {
  {
    head -1 /proc/stat
    for i in 1 2 3; do echo "node$i $(awk '{ print $14 + $15 }' "/proc/${NODE_PID[i]}/stat")"; done
    # This shell's reaped children: across a phase, pairdb-bench (and these snapshots).
    echo "bench $(awk '{ print $16 + $17 }' /proc/$$/stat)"
  } >"$WORK/cpu-$1"
  for i in 1 2 3; do
    http GET "${URL[i]}/metrics" | grep -E '^pairdb_(repair_|lsm_(stall_micros|write_stops|write_slowdowns|flushes|compactions) )' | sed "s/^/node$i /" || true
  done >"$WORK/metrics-$1"
}

# perf_start LABEL: with --perf, records every node (cpu-clock, call graphs) until perf_stop.
PERF_PIDS=()
perf_start() {
  PERF_PIDS=()
  if [ "$PERF" != 1 ]; then return 0; fi
  for i in 1 2 3; do
    perf record -e cpu-clock -F 499 -g -p "${NODE_PID[i]}" -o "$WORK/perf-$1-node$i.data" \
      >/dev/null 2>"$WORK/perf-$1-node$i.log" &
    PERF_PIDS+=($!)
    PIDS+=($!)
  done
}

# perf_stop LABEL: ends the recordings and writes each node's flat profile (self time, top 40)
# to perf-LABEL-nodeI.txt.
perf_stop() {
  if [ "$PERF" != 1 ]; then return 0; fi
  kill -INT "${PERF_PIDS[@]}" 2>/dev/null || true
  for pid in "${PERF_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for i in 1 2 3; do
    perf report -i "$WORK/perf-$1-node$i.data" --no-children --sort comm,dso,symbol --stdio \
      -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40 >"$WORK/perf-$1-node$i.txt" || true
  done
}

# measured_phase LABEL HOSTS: bench_phase between two snapshots (and perf, with --perf, in the
# repair phases).
measured_phase() {
  snapshot "$1-start"
  if [ "$1" != a ]; then perf_start "$1"; fi
  bench_phase "$1" "$2"
  if [ "$1" != a ]; then perf_stop "$1"; fi
  snapshot "$1-end"
}

# ---- run -------------------------------------------------------------------------------------
if [ -n "$OPS" ]; then phase_length="$OPS ops"; else phase_length="${SECONDS_PER_PHASE} s"; fi
echo "repair-impact: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $RECORDS records of" \
  "$VALUE_SIZE B, $CLIENTS clients, $phase_length per phase, workload A at QUORUM"
for i in 1 2 3; do start_node "$i"; done
for i in 1 2 3; do wait_for "pairdb ${URL[i]} (3 members alive)" pairdb_sees "${URL[i]}" 3; done
http PUT "${URL[1]}/v1/tables/$TABLE" '{"conflict_mode": "lww", "replication": {"dc1": 3}}' >/dev/null
for i in 1 2 3; do wait_for "table $TABLE on ${URL[i]}" pairdb_table_is "${URL[i]}"; done

ALL_HOSTS=$(hosts_of 1 2 3)
echo "repair-impact: loading $RECORDS records at ALL, then flush and compact on every node"
run_load "$BIN/pairdb-bench" --hosts "$ALL_HOSTS" --table "$TABLE" --consistency all \
  --concurrency "$LOAD_CLIENTS" --records "$RECORDS" --value-size "$VALUE_SIZE" --workload W \
  --ops 1 --warmup 0 --quiet >"$WORK/load.txt"
for i in 1 2 3; do admin "$i" flush >/dev/null; done
for i in 1 2 3; do admin "$i" compact "$TABLE" >/dev/null 2>"$WORK/compact-node$i.log"; done
for i in 1 2 3; do echo "node$i $(table_records "$i")" >>"$WORK/records.txt"; done
sleep 2

# Every phase runs the same repair status poll (a pairdb-admin call every 2 s, on node 1 in a
# and b, node 3 in c), so only the repair itself differs.
echo "repair-impact: phase a: baseline, no repair"
: >"$WORK/repair-a.jsonl"
repair_loop 1 "$WORK/a.stop" "$WORK/repair-a.jsonl" 0 &
LOOP_PID=$!
PIDS+=("$LOOP_PID")
measured_phase a "$ALL_HOSTS"
touch "$WORK/a.stop"
wait "$LOOP_PID"
sleep 2

# One repair on its own first: how long a job between identical replicas takes sets how many
# to keep queued (enough for two polls, at most 6, which repair status still lists).
admin 1 repair "$TABLE" >"$WORK/repair-b-solo.json" 2>/dev/null
DEPTH=$(python3 -c '
import json, math, sys
job = json.load(open(sys.argv[1]))
seconds = max(0.05, (job["finished_wall_ms"] - job["started_wall_ms"]) / 1000)
print(min(6, math.ceil(4 / seconds) + 1))' "$WORK/repair-b-solo.json")
sleep 2

echo "repair-impact: phase b: repairs between identical replicas on node 1, back to back ($DEPTH queued)"
: >"$WORK/repair-b.jsonl"
repair_loop 1 "$WORK/b.stop" "$WORK/repair-b.jsonl" "$DEPTH" &
LOOP_PID=$!
PIDS+=("$LOOP_PID")
sleep 1  # The first job runs: its session is building trees.
measured_phase b "$ALL_HOSTS"
admin 1 repair status >"$WORK/repair-b-end-status.json"
touch "$WORK/b.stop"
wait "$LOOP_PID"
await_jobs 1 "$WORK/repair-b.jsonl"  # The jobs still queued finish before phase c.
sleep 2

echo "repair-impact: phase c: node 3 restarted empty at its old tokens, repair on node 3"
node3_id=$(tr -d '[:space:]' <"$WORK/node3/node_id")
admin 1 ring | python3 -c '
import json, sys
node = sys.argv[1].lower()
print(",".join(str(t["token"]) for t in json.load(sys.stdin)["tokens"] if t["node_id"].lower() == node))' \
  "$node3_id" >"$WORK/node3.tokens"
[ -s "$WORK/node3.tokens" ] || { echo "repair-impact: no ring tokens for node 3 ($node3_id)" >&2; exit 1; }
stop "${NODE_PID[3]}"
find "$WORK/node3" -mindepth 1 -maxdepth 1 ! -name node_id ! -name context.key -exec rm -rf {} +
start_node 3 --node.initial_tokens "$(cat "$WORK/node3.tokens")"
for i in 1 2 3; do wait_for "pairdb ${URL[i]} (3 members alive)" pairdb_sees "${URL[i]}" 3; done
wait_for "table $TABLE on ${URL[3]}" pairdb_table_is "${URL[3]}"
echo "node3-restarted $(table_records 3)" >>"$WORK/records.txt"
# Phase c0: node 3 empty, no repair yet. Its QUORUM reads find nothing there and read-repair it;
# c against c0 is what the repair itself adds.
echo "repair-impact: phase c0: node 3 restarted empty, no repair yet"
: >"$WORK/repair-c0.jsonl"
repair_loop 3 "$WORK/c0.stop" "$WORK/repair-c0.jsonl" 0 &
LOOP_PID=$!
PIDS+=("$LOOP_PID")
measured_phase c0 "$(hosts_of 1 2)"
touch "$WORK/c0.stop"
wait "$LOOP_PID"
echo "node3-after-c0 $(table_records 3)" >>"$WORK/records.txt"
echo "repair-impact: phase c: repair on node 3"
c_id=$(start_repair 3)
: >"$WORK/repair-c.jsonl"
repair_loop 3 "$WORK/c.stop" "$WORK/repair-c.jsonl" 0 &  # The same poll as in phases a and b.
LOOP_PID=$!
PIDS+=("$LOOP_PID")
await_transfer 3
date +%s%3N >"$WORK/repair-c-transfer.now_ms"
measured_phase c "$(hosts_of 1 2)"
repair_job 3 "$c_id" >"$WORK/repair-c-end.json"
admin 3 repair status >"$WORK/repair-c-end-status.json"  # The running session's progress.
touch "$WORK/c.stop"
wait "$LOOP_PID"
date +%s%3N >"$WORK/repair-c-end.now_ms"
echo "repair-impact: waiting for node 3's repair job to finish"
await_repair 3 "$c_id" "$WORK/repair-c-final.json"
echo "node3-repaired $(table_records 3)" >>"$WORK/records.txt"

python3 - "$WORK" <<'PY'
import json, os, sys
work = sys.argv[1]

def path(name):
    return os.path.join(work, name)

def read(name):
    with open(path(name)) as f:
        return f.read()

def phase(label):
    """Totals from the text report's 'total' row (all operations merged), per-op from JSON."""
    total = None
    for line in read(label + ".txt").splitlines():
        fields = line.split()
        if fields and fields[0] == "total":
            # op ops errors ops/s p50 p95 p99 p99.9 max (latencies in us)
            total = dict(ops=int(fields[1]), errors=int(fields[2]), rate=float(fields[3]),
                         p50=float(fields[4]), p99=float(fields[6]), p999=float(fields[7]),
                         max=float(fields[8]))
    run = json.loads(read(label + ".json"))["run"]
    total["seconds"] = run["seconds"]
    total["by_op"] = {op: s["latency_us"] | {"rate": s["throughput"], "errors": s["errors"]}
                      for op, s in run["operations"].items()}
    return total

phases = {label: phase(label) for label in ("a", "b", "c0", "c")}
names = {"a": "a baseline", "b": "b repair, identical", "c0": "c0 node 3 empty, no rep.",
         "c": "c repair, empty node 3"}
print()
print("%-24s %9s %7s %9s %9s %9s %9s %9s %9s" % ("phase (all ops)", "ops/s", "errors",
      "p50 ms", "p99 ms", "p99.9 ms", "max ms", "get p99", "put p99"))
for label, p in phases.items():
    get = p["by_op"].get("get", {}).get("p99", 0) / 1000
    put = p["by_op"].get("put", {}).get("p99", 0) / 1000
    print("%-24s %9.0f %7d %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f" % (names[label], p["rate"],
          p["errors"], p["p50"] / 1000, p["p99"] / 1000, p["p999"] / 1000, p["max"] / 1000, get, put))
    first_error = [l for l in read(label + ".txt").splitlines() if l.startswith("first error")]
    if first_error:
        print("    %s" % first_error[0])

print()
print("%-28s %8s %8s" % ("ratio", "value", "target"))
base = phases["a"]["p99"]
for label, against in (("b", "a"), ("c", "c0")):
    value = phases[label]["p99"] / phases[against]["p99"]
    print("%-28s %7.2fx %8s  %s" % ("p99(%s) / p99(%s)" % (label, against), value, "< 1.2",
                                    "meets" if value < 1.2 else "MISSED"))
for label in ("c0", "c"):
    print("%-28s %7.2fx" % ("p99(%s) / p99(a)" % label, phases[label]["p99"] / base))
for label in ("b", "c0", "c"):
    print("%-28s %7.2fx" % ("ops/s(%s) / ops/s(a)" % label, phases[label]["rate"] / phases["a"]["rate"]))

def cpu(label):
    """(machine busy %, {node: CPU %}) over the phase, in % of one core."""
    def parse(name):
        lines = read(name).splitlines()
        ticks = list(map(int, lines[0].split()[1:]))
        idle = ticks[3] + ticks[4]
        nodes = {l.split()[0]: int(l.split()[1]) for l in lines[1:]}
        return sum(ticks[:8]), idle, nodes
    (t0, i0, n0), (t1, i1, n1) = parse("cpu-%s-start" % label), parse("cpu-%s-end" % label)
    hz = os.sysconf("SC_CLK_TCK")
    seconds = phases[label]["seconds"]
    cores = os.cpu_count()
    busy = (t1 - t0 - (i1 - i0)) / max(1, t1 - t0) * cores * 100
    return busy, {n: (n1[n] - n0.get(n, n1[n])) / hz / seconds * 100 for n in n1}

print()
print("CPU over each phase, %% of one core (%d cores):" % os.cpu_count())
print("%-24s %8s %7s %7s %7s %7s %7s" % ("phase", "machine", "node1", "node2", "node3", "bench",
      "other"))
for label in ("a", "b", "c0", "c"):
    busy, nodes = cpu(label)
    other = busy - sum(nodes.values())
    print("%-24s %7.0f%% %6.0f%% %6.0f%% %6.0f%% %6.0f%% %6.0f%%" % (names[label], busy,
          nodes["node1"], nodes["node2"], nodes["node3"], nodes["bench"], other))
print("  (bench = pairdb-bench; other = the repair status polls and anything else on the machine)")

def metrics(label):
    out = {}
    for line in read("metrics-" + label).splitlines():
        node, name, value = line.split()[0], line.split()[1], line.split()[-1]
        out[(node, name)] = float(value)
    return out

print()
print("repair and engine metrics grown during each phase (node1 / node2 / node3):")
for label in ("b", "c0", "c"):
    m0, m1 = metrics(label + "-start"), metrics(label + "-end")
    for name in ("pairdb_repair_sessions_completed", "pairdb_repair_bytes",
                 "pairdb_repair_session_work_milliseconds", "pairdb_repair_responder_milliseconds",
                 "pairdb_repair_records_exchanged", "pairdb_repair_scan_paced_milliseconds",
                 "pairdb_lsm_flushes", "pairdb_lsm_compactions", "pairdb_lsm_write_slowdowns",
                 "pairdb_lsm_write_stops", "pairdb_lsm_stall_micros"):
        values = []
        for node in ("node1", "node2", "node3"):
            if (node, name) in m1:
                values.append("%.0f" % (m1[(node, name)] - m0.get((node, name), 0)))
            else:
                values.append("-")
        print("  %s %-42s %s" % (label, name, " / ".join(values)))

def job_line(job):
    if job.get("state") in ("unlisted", "start failed"):
        return "job %s: %s" % (job.get("id", "?"), job["state"])
    end = job["finished_wall_ms"] or None
    elapsed = "%.1f s" % ((end - job["started_wall_ms"]) / 1000) if end else "running"
    return ("job %d: %s, %d/%d ranges (%d failed), %d records differed, %d exchanged, %.2f MiB, %s%s"
            % (job["id"], job["state"], job["ranges_done"], job["ranges_total"], job["ranges_failed"],
               job["records_differing"], job["records_exchanged"], job["bytes_exchanged"] / 2**20,
               elapsed, (": " + job["error"]) if job.get("error") else ""))

print()
solo = json.loads(read("repair-b-solo.json"))
print("one repair between identical replicas on node 1, alone before phase b: " + job_line(solo))
print()
print("phase b repair jobs on node 1 (queued ahead, so 'elapsed' includes waiting in the queue):")
b_jobs = [json.loads(l) for l in read("repair-b.jsonl").splitlines() if l.strip()]
b_start, b_end = int(read("b.start_ms")), int(read("b.end_ms"))
for job in b_jobs:
    print("  " + job_line(job))
done = sorted((j for j in b_jobs if j.get("state") == "done"), key=lambda j: j["finished_wall_ms"])
failed = [j for j in b_jobs if j.get("state") not in ("done",)]
in_phase = [j for j in done if b_start <= j["finished_wall_ms"] <= b_end]
gaps = [b["finished_wall_ms"] - a["finished_wall_ms"] for a, b in zip(done, done[1:])]
if gaps:
    print("  %d jobs finished within the phase; one job every %.2f s (median finish-to-finish)"
          % (len(in_phase), sorted(gaps)[len(gaps) // 2] / 1000))
if failed:
    print("  WARNING: %d job(s) did not finish as done" % len(failed))
end_status = json.loads(read("repair-b-end-status.json"))
running = [j for j in end_status["jobs"] if j["state"] == "running"]
print("  at the phase's end: %d job(s) running or queued, %d session(s) running"
      % (len(running), len(end_status["sessions"])))
if not running:
    print("  WARNING: no repair job ran at the end of phase b")

print()
print("phase c repair job on node 3 (restarted empty):")
end = json.loads(read("repair-c-end.json"))
final = json.loads(read("repair-c-final.json"))
now_ms = int(read("repair-c-end.now_ms"))
phase_ms = int(read("c.end_ms")) - int(read("c.start_ms"))
print("  the phase started %.1f s after the job, once records were moving"
      % ((int(read("repair-c-transfer.now_ms")) - end["started_wall_ms"]) / 1000))
print("  at the phase's end: " + job_line(end))
if end.get("state") == "running":
    # A job's figures grow as its sessions complete; the running session's are in "sessions".
    ran = (now_ms - end["started_wall_ms"]) / 1000
    sessions = json.loads(read("repair-c-end-status.json"))["sessions"]
    moved = sum(x["bytes_sent"] + x["bytes_received"] for x in sessions) + end["bytes_exchanged"]
    records = sum(x["records_fetched"] + x["records_pushed"] for x in sessions) + end["records_exchanged"]
    progress = ", ".join("%.0f%%" % (100 * x["progress"]) for x in sessions) or "-"
    print("  still running after %.1f s (session progress %s): %.1f MiB and %d records exchanged so "
          "far, %.2f MiB/s" % (ran, progress, moved / 2**20, records, moved / 2**20 / ran))
else:
    print("  WARNING: the job was no longer running at the end of the %.1f s phase: the phase "
          "was partly without repair (use more --records)" % (phase_ms / 1000))
print("  finally: " + job_line(final))
if final.get("finished_wall_ms"):
    secs = (final["finished_wall_ms"] - final["started_wall_ms"]) / 1000
    print("  whole job: %.1f MiB in %.1f s = %.2f MiB/s" % (final["bytes_exchanged"] / 2**20, secs,
          final["bytes_exchanged"] / 2**20 / secs if secs else 0))
print()
print("records held (tablestats): " + ", ".join(l.strip() for l in read("records.txt").splitlines()))
print("notes: wal_sync = none; repair.interval_ms = 0; repair settings at their defaults (rate 8 MiB/s,")
print("       scans 32 MiB/s, cpu_priority idle); each request goes to its key's primary replica.")
PY
