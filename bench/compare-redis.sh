#!/usr/bin/env bash
# Side-by-side single-node comparison of pairdb and redis-server on this machine, one after the
# other: the same client concurrency, value size and key count, over loopback.
#
#   bench/compare-redis.sh [--records N] [--ops N] [--clients C] [--value-size B]
#                          [--pipelines "1 16"] [--server-threads N] [--durable-ops N]
#                          [--no-durable] [--no-build] [--keep]
#
# For each pipeline depth P (default "1 16"):
#   redis:  redis-benchmark -t set,get -c C -P P -d B -r N -n OPS (keys pre-loaded, so GETs hit)
#   pairdb: pairdb-bench --workload W then C, --concurrency C --pipeline P --value-size B
#           --records N --ops OPS, against a node with wal_sync = "none" (the WAL is written,
#           not fsynced per write; redis-server runs without AOF or RDB snapshots) and
#           --network.io_threads N (--server-threads, default 1: redis-server serves clients
#           from one thread, and on a small machine the load generator needs the other cores).
# Prints both throughputs and latency percentiles and their ratios (pairdb / redis).
#
# Then durable writes, the configuration users run (unless --no-durable): a second pairdb node
# with the default storage.wal_sync = "always" (the WAL is fsynced before a write is
# acknowledged; concurrent writes share one fsync: group commit) against a second redis-server
# with appendonly yes and appendfsync always, C clients, pipeline 1, --durable-ops writes each
# (default 20000); and, as the floor group commit must beat, one writer that fsyncs each write:
# pairdb-bench with one client against that node, and a plain loop appending 100 B to a file in
# the same directory and fsyncing after each append (python3, --durable-ops / 10 writes).
# redis-server is a benchmark-only dependency (scripts/install-deps.sh installs it). Every
# process this script starts is stopped on exit; data lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=100000
OPS=400000
CLIENTS=50
VALUE_SIZE=100
PIPELINES="1 16"
SERVER_THREADS=1
DURABLE=1
DURABLE_OPS=20000
BUILD=1
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --ops) OPS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --value-size) VALUE_SIZE=$2; shift 2 ;;
    --pipelines) PIPELINES=$2; shift 2 ;;
    --server-threads) SERVER_THREADS=$2; shift 2 ;;
    --durable-ops) DURABLE_OPS=$2; shift 2 ;;
    --no-durable) DURABLE=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "compare-redis: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in redis-server redis-benchmark redis-cli python3 cmake; do
  command -v "$tool" >/dev/null || { echo "compare-redis: $tool not found; run scripts/install-deps.sh" >&2; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "${JOBS:-$(nproc)}" --target pairdb pairdb-bench >/dev/null
fi

WORK=$(mktemp -d /tmp/pairdb-compare-redis.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "compare-redis: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for DESCRIPTION COMMAND...: polls COMMAND every 100 ms for up to 30 s.
wait_for() {
  local what=$1; shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "compare-redis: $what did not come up within 30 s" >&2
  exit 1
}

# start_redis NAME [ARGS...]: a redis-server on REDIS_PORT with its files in $WORK/NAME.
start_redis() {
  local name=$1; shift
  mkdir -p "$WORK/$name"
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --dir "$WORK/$name" \
    --logfile "$WORK/$name.log" "$@" &
  PIDS+=($!)
  wait_for redis-server redis-cli -p "$REDIS_PORT" ping
}

# start_pairdb NAME WAL_SYNC: a pairdb node on PAIRDB_PORT with its data in $WORK/NAME.
start_pairdb() {
  PAIRDB_PORT=$(free_port)
  PAIRDB_HTTP_PORT=$(free_port)
  PAIRDB_GOSSIP_PORT=$(free_port)
  build/bin/pairdb --data-dir "$WORK/$1" --listen "127.0.0.1:$PAIRDB_PORT" \
    --http-listen "127.0.0.1:$PAIRDB_HTTP_PORT" --gossip-listen "127.0.0.1:$PAIRDB_GOSSIP_PORT" \
    --internode-listen 127.0.0.1:0 --tables.default_replication_factor 1 \
    --storage.wal_sync "$2" \
    --network.io_threads "$SERVER_THREADS" --log.level warn 2>"$WORK/$1.log" &
  PIDS+=($!)
  wait_for pairdb python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$PAIRDB_HTTP_PORT/health"
}

start_redis redis --appendonly no
start_pairdb pairdb none

# Pre-load redis with exactly the keys redis-benchmark -r draws ("key:" + 12 digits), so its
# GETs hit as pairdb-bench's do.
python3 - "$RECORDS" "$VALUE_SIZE" >"$WORK/redis-load.resp" <<'PY'
import sys
records, size = int(sys.argv[1]), int(sys.argv[2])
value = "x" * size
out = sys.stdout
for i in range(records):
    key = "key:%012d" % i
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
PY
redis-cli -p "$REDIS_PORT" --pipe <"$WORK/redis-load.resp" >/dev/null

echo "compare-redis: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $RECORDS records of $VALUE_SIZE B, $OPS ops per test, $CLIENTS clients, pairdb io_threads $SERVER_THREADS"
LOADED=0
for P in $PIPELINES; do
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t set,get -c "$CLIENTS" -P "$P" -d "$VALUE_SIZE" \
    -r "$RECORDS" -n "$OPS" --csv >"$WORK/redis-P$P.csv"
  load_flag=(--no-load)
  if [ "$LOADED" = 0 ]; then load_flag=(); LOADED=1; fi
  build/bin/pairdb-bench --hosts "127.0.0.1:$PAIRDB_PORT" --table compare_redis \
    --concurrency "$CLIENTS" --pipeline "$P" --records "$RECORDS" --value-size "$VALUE_SIZE" \
    --ops "$OPS" --workload W "${load_flag[@]}" --warmup 0 --quiet --json "$WORK/pairdb-put-P$P.json"
  build/bin/pairdb-bench --hosts "127.0.0.1:$PAIRDB_PORT" --table compare_redis \
    --concurrency "$CLIENTS" --pipeline "$P" --records "$RECORDS" --value-size "$VALUE_SIZE" \
    --ops "$OPS" --workload C --no-load --warmup 0 --quiet --json "$WORK/pairdb-get-P$P.json"
done

python3 - "$WORK" "$PIPELINES" <<'PY'
import csv, json, sys
work, pipelines = sys.argv[1], sys.argv[2].split()
print()
print("%-4s %-3s %12s %12s %7s   %-23s %-23s" % ("op", "P", "redis ops/s", "pairdb ops/s", "ratio",
      "redis p50/p99 ms", "pairdb p50/p99 ms"))
for p in pipelines:
    with open(f"{work}/redis-P{p}.csv") as f:
        redis = {row["test"]: row for row in csv.DictReader(f)}
    for op, test, op_key in (("GET", "GET", "get"), ("PUT", "SET", "put")):
        r = redis[test]
        with open(f"{work}/pairdb-{op_key}-P{p}.json") as f:
            ours = json.load(f)["run"]["operations"][op_key]
        r_tput, o_tput = float(r["rps"]), ours["throughput"]
        lat = ours["latency_us"]
        print("%-4s %-3s %12.0f %12.0f %6.2fx   %-23s %-23s" % (
            op, p, r_tput, o_tput, o_tput / r_tput,
            "%s / %s" % (r["p50_latency_ms"], r["p99_latency_ms"]),
            "%.3f / %.3f" % (lat["p50"] / 1000, lat["p99"] / 1000)))
PY

[ "$DURABLE" = 1 ] || exit 0

# ---- durable writes ----------------------------------------------------------------------------
kill "${PIDS[@]}" 2>/dev/null || true
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()
start_redis redis-aof --appendonly yes --appendfsync always
start_pairdb pairdb-durable always

SINGLE_OPS=$((DURABLE_OPS / 10))
echo
echo "compare-redis: durable writes: $DURABLE_OPS writes at $CLIENTS clients, pipeline 1 (pairdb wal_sync = always, redis appendfsync always); one fsyncing writer: $SINGLE_OPS writes"
redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t set -c "$CLIENTS" -P 1 -d "$VALUE_SIZE" \
  -r "$RECORDS" -n "$DURABLE_OPS" --csv >"$WORK/redis-aof.csv"
build/bin/pairdb-bench --hosts "127.0.0.1:$PAIRDB_PORT" --table compare_durable \
  --concurrency "$CLIENTS" --pipeline 1 --records "$RECORDS" --value-size "$VALUE_SIZE" \
  --ops "$DURABLE_OPS" --workload W --no-load --warmup 0 --quiet --json "$WORK/pairdb-durable.json"
build/bin/pairdb-bench --hosts "127.0.0.1:$PAIRDB_PORT" --table compare_durable \
  --concurrency 1 --pipeline 1 --records "$RECORDS" --value-size "$VALUE_SIZE" \
  --ops "$SINGLE_OPS" --workload W --no-load --warmup 0 --quiet --json "$WORK/pairdb-single.json"
python3 - "$WORK/pairdb-durable/fsync-probe" "$SINGLE_OPS" "$VALUE_SIZE" >"$WORK/fsync-loop.txt" <<'PY'
import os, sys, time
path, writes, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
record = b"x" * size
start = time.monotonic()
for _ in range(writes):
    os.write(fd, record)
    os.fsync(fd)
elapsed = time.monotonic() - start
os.close(fd)
os.unlink(path)
print(writes / elapsed)
PY

python3 - "$WORK" <<'PY'
import csv, json, sys
work = sys.argv[1]
with open(f"{work}/redis-aof.csv") as f:
    redis = {row["test"]: row for row in csv.DictReader(f)}["SET"]
def ours(name):
    with open(f"{work}/{name}.json") as f:
        return json.load(f)["run"]["operations"]["put"]
durable, single = ours("pairdb-durable"), ours("pairdb-single")
with open(f"{work}/fsync-loop.txt") as f:
    loop = float(f.read())
r = float(redis["rps"])
print()
print("%-44s %12s %9s   %s" % ("durable PUT", "ops/s", "ratio", "p50/p99 ms"))
lat = durable["latency_us"]
print("%-44s %12.0f %9s   %s / %s" % ("redis-server, appendfsync always", r, "", redis["p50_latency_ms"],
      redis["p99_latency_ms"]))
print("%-44s %12.0f %8.2fx   %.3f / %.3f" % ("pairdb, wal_sync = always (vs redis)", durable["throughput"],
      durable["throughput"] / r, lat["p50"] / 1000, lat["p99"] / 1000))
lat = single["latency_us"]
print("%-44s %12.0f %8.2fx   %.3f / %.3f" % ("pairdb, one client (pairdb at C / this)", single["throughput"],
      durable["throughput"] / single["throughput"], lat["p50"] / 1000, lat["p99"] / 1000))
print("%-44s %12.0f %8.2fx" % ("write + fsync loop, one writer (pairdb at C / this)", loop,
      durable["throughput"] / loop))
PY
