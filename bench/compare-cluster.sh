#!/usr/bin/env bash
# Cluster comparison on this machine: a 3-node pairdb cluster against Redis Cluster and etcd,
# one system after the other, with the same client concurrency, value size and key count, all
# over loopback.
#
#   bench/compare-cluster.sh [--records N] [--ops N] [--clients C] [--value-size B]
#                            [--server-threads N] [--systems "cluster single redis etcd"]
#                            [--no-build] [--bin-dir DIR] [--keep]
#
# Defaults: 100000 records of 100 B, 400000 ops per test, 50 clients. The systems:
#   cluster: 3 pairdb nodes (127.0.0.1-3), a table with replication {"dc1": 3}; pairdb-bench
#            writes (workload W, the first run also loads every record) then reads (C), at
#            consistency QUORUM, ONE and ALL, spreading clients over the three nodes.
#   single:  one pairdb node, a table with one replica, W then C at ONE (the reference for
#            "ONE >= 0.8x a single node").
#   redis:   Redis Cluster, 3 masters + 3 replicas (redis-cli --cluster create
#            --cluster-replicas 1), measured by redis-benchmark --cluster -t set,get -c C -d B
#            -r N -n OPS.
#   etcd:    a 3-member etcd 3.4 cluster, measured by pairdb-etcd-load (closed loop, C client
#            threads over the three members): put, then linearizable get (etcd's default range).
# Durability, as in bench/compare-redis.sh: pairdb runs with wal_sync = "none" (the WAL is
# written, not fsynced per write) and io_threads N (--server-threads, default 1); redis-server
# runs without AOF or RDB snapshots; etcd fsyncs its WAL before every commit (it cannot be
# turned off in 3.4), which the etcd numbers include.
# --bin-dir takes pairdb, pairdb-bench and pairdb-etcd-load from DIR instead of build/bin (give
# --no-build too, or the release build still runs).
# Prints throughput and p50/p99 of each system side by side, the ratios the cluster issue
# targets name, and the memory (peak RSS, VmHWM) of every server process after its load.
# redis-server and etcd-server are benchmark-only dependencies (scripts/install-deps.sh). Every
# process this script starts is stopped on exit; data lives in a temporary directory.
set -eEuo pipefail
cd "$(dirname "$0")/.."

RECORDS=100000
OPS=400000
CLIENTS=50
VALUE_SIZE=100
SERVER_THREADS=1
SYSTEMS="cluster single redis etcd"
BUILD=1
BIN=build/bin
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --ops) OPS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --value-size) VALUE_SIZE=$2; shift 2 ;;
    --server-threads) SERVER_THREADS=$2; shift 2 ;;
    --systems) SYSTEMS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --bin-dir) BIN=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "compare-cluster: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for system in $SYSTEMS; do
  case "$system" in
    cluster|single|redis|etcd) ;;
    *) echo "compare-cluster: unknown system '$system' in --systems" >&2; exit 2 ;;
  esac
done
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }

tools=(python3 cmake openssl)
if has redis; then tools+=(redis-server redis-benchmark redis-cli); fi
if has etcd; then tools+=(etcd); fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "compare-cluster: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "${JOBS:-$(nproc)}" \
    --target pairdb pairdb-bench pairdb-etcd-load >/dev/null
fi

binaries=()
if has cluster || has single; then binaries+=(pairdb pairdb-bench); fi
if has etcd; then binaries+=(pairdb-etcd-load); fi
for binary in "${binaries[@]}"; do
  [ -x "$BIN/$binary" ] || { echo "compare-cluster: $BIN/$binary not built (drop --no-build)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/pairdb-compare-cluster.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "compare-cluster: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT  # Exit through the EXIT trap, which stops the servers, on Ctrl-C or kill.
trap 'exit 143' TERM
trap 'echo "compare-cluster: failed at line $LINENO: $BASH_COMMAND (logs: rerun with --keep)" >&2' ERR

# stop PID...: stops the given servers (SIGTERM) and waits until they are gone.
stop() {
  kill "$@" 2>/dev/null || true
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

# run_load COMMAND...: runs a load client (or another long command) to completion in the
# background, so that Ctrl-C or SIGTERM interrupts the wait at once and the EXIT trap stops it
# with the servers. Redirect its output on the call.
run_load() {
  "$@" &
  local pid=$!
  PIDS+=("$pid")
  local status=0
  wait "$pid" || status=$?
  if [ "$status" != 0 ]; then echo "compare-cluster: $1 exited with status $status" >&2; fi
  return "$status"
}

# free_port [HOST]: a TCP port nothing listens on at HOST (default 127.0.0.1).
free_port() {
  python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' \
    "${1:-127.0.0.1}"
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
  echo "compare-cluster: $what not ready within 60 s (logs in $WORK; --keep keeps them)" >&2
  exit 1
}

# record_memory LABEL PID: appends the process's peak and current RSS (KiB) to memory.txt.
record_memory() {
  local status="/proc/$2/status" hwm rss
  if [ -r "$status" ]; then
    hwm=$(awk '/^VmHWM:/ { print $2 }' "$status")
    rss=$(awk '/^VmRSS:/ { print $2 }' "$status")
    echo "$1 $2 $hwm $rss" >>"$WORK/memory.txt"
  else
    echo "$1 $2 exited exited" >>"$WORK/memory.txt"
  fi
}

# ---- pairdb --------------------------------------------------------------------------------
(umask 077; openssl rand -hex 32 >"$WORK/context.key")
TABLE=compare_cluster

# start_pairdb NAME HOST REPLICAS [SEED]: starts one node; sets NODE_PID, NODE_PORT, NODE_HTTP
# and NODE_GOSSIP.
start_pairdb() {
  local name=$1 host=$2 replicas=$3 seed=${4:-}
  NODE_PORT=$(free_port "$host")
  NODE_HTTP=$(free_port "$host")
  NODE_GOSSIP=$(free_port "$host")
  local args=(--data-dir "$WORK/$name" --context-key-file "$WORK/context.key"
              --listen "$host:$NODE_PORT" --http-listen "$host:$NODE_HTTP"
              --gossip-listen "$host:$NODE_GOSSIP" --internode-listen "$host:$(free_port "$host")"
              --dc dc1 --rack "rack-$name" --tables.default_replication_factor "$replicas"
              --storage.wal_sync none --network.io_threads "$SERVER_THREADS" --log.level warn)
  if [ -n "$seed" ]; then args+=(--seeds "$seed"); fi
  "$BIN/pairdb" "${args[@]}" 2>"$WORK/$name.log" &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
}

# pairdb_sees URL NODES: the node at URL has NODES alive members, all of them on its ring.
pairdb_sees() {
  local metrics
  metrics=$(http GET "$1/metrics") || return 1
  grep -qx "pairdb_gossip_members{state=\"alive\"} $2" <<<"$metrics" &&
    grep -qx "pairdb_ring_nodes $2" <<<"$metrics"
}

# pairdb_table_is URL RF: the node at URL knows the table, replicated RF times in dc1.
pairdb_table_is() {
  http GET "$1/v1/tables/$TABLE" | python3 -c \
    'import json, sys; sys.exit(json.load(sys.stdin)["replication"] != {"dc1": int(sys.argv[1])})' "$2"
}

# create_table RF URL...: creates the lww table through the first node and waits until every
# node has it.
create_table() {
  local rf=$1; shift
  http PUT "$1/v1/tables/$TABLE" "{\"conflict_mode\": \"lww\", \"replication\": {\"dc1\": $rf}}" >/dev/null
  for url in "$@"; do wait_for "table $TABLE on $url" pairdb_table_is "$url" "$rf"; done
}

# pairdb_bench LABEL HOSTS LEVEL WORKLOAD [--no-load]: one pairdb-bench run, JSON to LABEL.json.
pairdb_bench() {
  local label=$1 hosts=$2 level=$3 workload=$4; shift 4
  run_load "$BIN/pairdb-bench" --hosts "$hosts" --table "$TABLE" --consistency "$level" \
    --concurrency "$CLIENTS" --records "$RECORDS" --value-size "$VALUE_SIZE" --ops "$OPS" \
    --workload "$workload" --warmup 0 --quiet --json "$WORK/$label.json" "$@" \
    >"$WORK/$label.txt"
}

run_pairdb_cluster() {
  echo "compare-cluster: pairdb, 3 nodes, replication 3"
  local pids=() hosts=() urls=() seed=""
  for i in 1 2 3; do
    start_pairdb "node$i" "127.0.0.$i" 3 "$seed"
    if [ -z "$seed" ]; then seed="127.0.0.1:$NODE_GOSSIP"; fi
    pids+=("$NODE_PID")
    hosts+=("127.0.0.$i:$NODE_PORT")
    urls+=("http://127.0.0.$i:$NODE_HTTP")
  done
  for url in "${urls[@]}"; do wait_for "pairdb $url (3 members alive)" pairdb_sees "$url" 3; done
  create_table 3 "${urls[@]}"
  local host_list
  host_list=$(IFS=,; echo "${hosts[*]}")
  local load=()
  for level in quorum one all; do
    pairdb_bench "cluster-$level-put" "$host_list" "$level" W "${load[@]}"
    load=(--no-load)
    pairdb_bench "cluster-$level-get" "$host_list" "$level" C --no-load
  done
  for i in 1 2 3; do record_memory "pairdb-node$i" "${pids[$((i - 1))]}"; done
  stop "${pids[@]}"
}

run_pairdb_single() {
  echo "compare-cluster: pairdb, 1 node"
  start_pairdb single 127.0.0.1 1
  local pid=$NODE_PID url="http://127.0.0.1:$NODE_HTTP"
  wait_for "pairdb $url" pairdb_sees "$url" 1
  create_table 1 "$url"
  pairdb_bench single-one-put "127.0.0.1:$NODE_PORT" one W
  pairdb_bench single-one-get "127.0.0.1:$NODE_PORT" one C --no-load
  record_memory pairdb-single "$pid"
  stop "$pid"
}

# ---- Redis Cluster -------------------------------------------------------------------------
# redis_ready PORT...: every node sees cluster_state:ok and 3 masters and 3 replicas (gossip has
# spread the roles; redis-benchmark --cluster reads them from one node), and every replica's
# link to its master is up (its first full sync is done).
redis_ready() {
  local port info nodes
  for port in "$@"; do
    redis-cli -p "$port" cluster info | grep -q '^cluster_state:ok' || return 1
    nodes=$(redis-cli -p "$port" cluster nodes)
    [ "$(awk '$3 ~ /(^|,)master$/' <<<"$nodes" | wc -l)" = 3 ] || return 1
    [ "$(awk '$3 ~ /(^|,)slave$/' <<<"$nodes" | wc -l)" = 3 ] || return 1
    info=$(redis-cli -p "$port" info replication)
    if grep -q '^role:slave' <<<"$info"; then
      grep -q '^master_link_status:up' <<<"$info" || return 1
    fi
  done
}

run_redis() {
  echo "compare-cluster: Redis Cluster, 3 masters + 3 replicas"
  local pids=() ports=() nodes=() port bus
  for i in 1 2 3 4 5 6; do
    port=$(free_port)
    bus=$(free_port)
    mkdir -p "$WORK/redis$i"
    redis-server --port "$port" --cluster-port "$bus" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file nodes.conf --save '' --appendonly no --dir "$WORK/redis$i" \
      --logfile "$WORK/redis$i.log" &
    PIDS+=($!)
    pids+=($!)
    ports+=("$port")
    nodes+=("127.0.0.1:$port")
  done
  for port in "${ports[@]}"; do wait_for "redis-server :$port" redis-cli -p "$port" ping; done
  run_load redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
    >"$WORK/redis-create.log" 2>&1
  wait_for "redis cluster" redis_ready "${ports[@]}"
  run_load redis-benchmark --cluster -h 127.0.0.1 -p "${ports[0]}" -t set,get -c "$CLIENTS" \
    -d "$VALUE_SIZE" -r "$RECORDS" -n "$OPS" --csv >"$WORK/redis.csv" 2>"$WORK/redis-benchmark.log"
  # GET hits: redis-benchmark --cluster gives each master's clients their own hash tag, so the
  # keyspace is 3 x records and a GET finds only what the SET run wrote. Count what it found.
  local hits=0 misses=0 value
  for port in "${ports[@]}"; do
    value=$(redis-cli -p "$port" info stats | tr -d '\r')
    hits=$((hits + $(awk -F: '/^keyspace_hits:/ { print $2 }' <<<"$value")))
    misses=$((misses + $(awk -F: '/^keyspace_misses:/ { print $2 }' <<<"$value")))
  done
  echo "$hits $misses" >"$WORK/redis-hits.txt"
  for i in 1 2 3 4 5 6; do
    local role
    role=$(redis-cli -p "${ports[$((i - 1))]}" info replication | tr -d '\r' | awk -F: '/^role:/ { print $2 }')
    record_memory "redis$i-${role/slave/replica}" "${pids[$((i - 1))]}"
  done
  stop "${pids[@]}"
}

# ---- etcd ----------------------------------------------------------------------------------
# etcd_healthy PORT: the member answers /health with health true (it has a leader).
etcd_healthy() {
  http GET "http://127.0.0.1:$1/health" | grep -q '"health": *"true"'
}

run_etcd() {
  echo "compare-cluster: etcd, 3 members"
  local pids=() clients=() peers=() initial="" client peer
  for i in 1 2 3; do
    clients+=("$(free_port)")
    peers+=("$(free_port)")
    initial+="${initial:+,}etcd$i=http://127.0.0.1:${peers[$((i - 1))]}"
  done
  for i in 1 2 3; do
    client="http://127.0.0.1:${clients[$((i - 1))]}"
    peer="http://127.0.0.1:${peers[$((i - 1))]}"
    etcd --name "etcd$i" --data-dir "$WORK/etcd$i" \
      --listen-client-urls "$client" --advertise-client-urls "$client" \
      --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
      --initial-cluster "$initial" --initial-cluster-token pairdb-compare-cluster \
      --initial-cluster-state new --logger zap --log-outputs stderr --log-level warn \
      2>"$WORK/etcd$i.log" &
    PIDS+=($!)
    pids+=($!)
  done
  for port in "${clients[@]}"; do
    wait_for "etcd :$port" etcd_healthy "$port"
  done
  local endpoints
  endpoints=$(printf '127.0.0.1:%s,' "${clients[@]}")
  endpoints=${endpoints%,}
  local common=(--endpoints "$endpoints" --clients "$CLIENTS" --records "$RECORDS"
                --ops "$OPS" --value-size "$VALUE_SIZE")
  run_load "$BIN/pairdb-etcd-load" "${common[@]}" --workload put --load >"$WORK/etcd-put.json" \
    2>"$WORK/etcd-load.log"
  run_load "$BIN/pairdb-etcd-load" "${common[@]}" --workload get >"$WORK/etcd-get.json"
  for i in 1 2 3; do record_memory "etcd$i" "${pids[$((i - 1))]}"; done
  stop "${pids[@]}"
}

# ---- run and report ------------------------------------------------------------------------
echo "compare-cluster: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $RECORDS records of" \
  "$VALUE_SIZE B, $OPS ops per test, $CLIENTS clients, systems: $SYSTEMS"
: >"$WORK/memory.txt"
if has cluster; then run_pairdb_cluster; fi
if has single; then run_pairdb_single; fi
if has redis; then run_redis; fi
if has etcd; then run_etcd; fi

python3 - "$WORK" "$SERVER_THREADS" <<'PY'
import csv, json, os, sys
work, server_threads = sys.argv[1], sys.argv[2]

def path(name):
    return os.path.join(work, name)

def pairdb(label, op):
    """(ops/s, p50 ms, p99 ms, errors) of one pairdb-bench run, or None if it did not run."""
    if not os.path.exists(path(label + ".json")):
        return None
    with open(path(label + ".json")) as f:
        stats = json.load(f)["run"]["operations"][op]
    lat = stats["latency_us"]
    return stats["throughput"], lat["p50"] / 1000, lat["p99"] / 1000, stats["errors"]

def redis(test):
    if not os.path.exists(path("redis.csv")):
        return None
    with open(path("redis.csv")) as f:  # In cluster mode the CSV follows a list of masters.
        lines = [line for line in f if line.startswith('"')]
    row = {r["test"]: r for r in csv.DictReader(lines)}[test]
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"]), 0

def etcd(op):
    if not os.path.exists(path(f"etcd-{op}.json")):
        return None
    with open(path(f"etcd-{op}.json")) as f:
        run = json.loads(f.readline())
    lat = run["latency_us"]
    return run["throughput"], lat["p50"] / 1000, lat["p99"] / 1000, run["errors"]

rows = [
    ("pairdb 3 nodes QUORUM", pairdb("cluster-quorum-put", "put"), pairdb("cluster-quorum-get", "get")),
    ("pairdb 3 nodes ONE", pairdb("cluster-one-put", "put"), pairdb("cluster-one-get", "get")),
    ("pairdb 3 nodes ALL", pairdb("cluster-all-put", "put"), pairdb("cluster-all-get", "get")),
    ("pairdb 1 node ONE", pairdb("single-one-put", "put"), pairdb("single-one-get", "get")),
    ("redis cluster 3+3", redis("SET"), redis("GET")),
    ("etcd 3 members", etcd("put"), etcd("get")),
]

def cell(result):
    if result is None:
        return "%10s %17s" % ("-", "-")
    return "%10.0f %17s" % (result[0], "%.3f / %.3f" % (result[1], result[2]))

print()
print("%-22s %10s %17s   %10s %17s" % ("", "put ops/s", "put p50/p99 ms", "get ops/s", "get p50/p99 ms"))
for name, put, get in rows:
    print("%-22s %s   %s" % (name, cell(put), cell(get)))
errors = [(name, op, r[3]) for name, put, get in rows for op, r in (("put", put), ("get", get))
          if r is not None and r[3] > 0]
for name, op, count in errors:
    print("WARNING: %s %s had %d failed requests" % (name, op, count))

print()
print("%-44s %8s %8s" % ("ratio (issue target)", "value", "target"))
by_name = {name: (put, get) for name, put, get in rows}
def ratio(label, a, b, target):
    if a is None or b is None:
        print("%-44s %8s %8s" % (label, "-", ">= %g" % target))
        return
    value = a[0] / b[0]
    print("%-44s %7.2fx %8s  %s" % (label, value, ">= %g" % target,
                                   "meets" if value >= target else "BELOW"))
quorum, one, single = by_name["pairdb 3 nodes QUORUM"], by_name["pairdb 3 nodes ONE"], by_name["pairdb 1 node ONE"]
redis_ops, etcd_ops = by_name["redis cluster 3+3"], by_name["etcd 3 members"]
ratio("pairdb QUORUM put / redis SET", quorum[0], redis_ops[0], 0.5)
ratio("pairdb QUORUM get / redis GET", quorum[1], redis_ops[1], 0.7)
ratio("pairdb QUORUM put / etcd put", quorum[0], etcd_ops[0], 10)
ratio("pairdb QUORUM get / etcd get (linearizable)", quorum[1], etcd_ops[1], 10)
ratio("pairdb 3 nodes ONE put / 1 node put", one[0], single[0], 0.8)
ratio("pairdb 3 nodes ONE get / 1 node get", one[1], single[1], 0.8)

print()
print("%-22s %8s %14s %12s" % ("memory after load", "pid", "peak RSS MiB", "RSS MiB"))
with open(path("memory.txt")) as f:
    for line in f:
        label, pid, hwm, rss = line.split()
        if hwm == "exited":
            print("%-22s %8s %14s %12s" % (label, pid, "exited", "exited"))
        else:
            print("%-22s %8s %14.1f %12.1f" % (label, pid, int(hwm) / 1024, int(rss) / 1024))

print()
print("notes: pairdb wal_sync = none (WAL written, not fsynced per write), io_threads %s per node;" % server_threads)
print("       redis-server without AOF or RDB snapshots; etcd fsyncs its WAL on every commit.")
print("       pairdb and etcd GETs read loaded keys; etcd get is linearizable (default range).")
if os.path.exists(path("redis-hits.txt")):
    with open(path("redis-hits.txt")) as f:
        hits, misses = map(int, f.read().split())
    if hits + misses:
        print("       redis GETs found %.0f%% of their keys (redis-benchmark --cluster tags keys per master)."
              % (100.0 * hits / (hits + misses)))
if os.path.exists(path("etcd-get.json")):
    with open(path("etcd-get.json")) as f:
        run = json.loads(f.readline())
    if run["misses"]:
        print("       etcd: %d gets found no key." % run["misses"])
PY
