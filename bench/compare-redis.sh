#!/usr/bin/env bash
# Side-by-side single-node comparison of pairdb and redis-server on this machine, one after the
# other: the same client concurrency, value size and key count, over loopback.
#
#   bench/compare-redis.sh [--records N] [--ops N] [--clients C] [--value-size B]
#                          [--pipelines "1 16"] [--server-threads N] [--no-build] [--keep]
#
# For each pipeline depth P (default "1 16"):
#   redis:  redis-benchmark -t set,get -c C -P P -d B -r N -n OPS (keys pre-loaded, so GETs hit)
#   pairdb: pairdb-bench --workload W then C, --concurrency C --pipeline P --value-size B
#           --records N --ops OPS, against a node with wal_sync = "none" (the WAL is written,
#           not fsynced per write; redis-server runs without AOF or RDB snapshots) and
#           --network.io_threads N (--server-threads, default 1: redis-server serves clients
#           from one thread, and on a small machine the load generator needs the other cores).
# Prints both throughputs and latency percentiles and their ratios (pairdb / redis).
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
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
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

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$WORK" --logfile "$WORK/redis.log" &
PIDS+=($!)
wait_for redis-server redis-cli -p "$REDIS_PORT" ping

PAIRDB_PORT=$(free_port)
PAIRDB_HTTP_PORT=$(free_port)
PAIRDB_GOSSIP_PORT=$(free_port)
build/bin/pairdb --data-dir "$WORK/pairdb" --listen "127.0.0.1:$PAIRDB_PORT" \
  --http-listen "127.0.0.1:$PAIRDB_HTTP_PORT" --gossip-listen "127.0.0.1:$PAIRDB_GOSSIP_PORT" \
  --internode-listen 127.0.0.1:0 --tables.default_replication_factor 1 \
  --storage.wal_sync none \
  --network.io_threads "$SERVER_THREADS" --log.level warn 2>"$WORK/pairdb.log" &
PIDS+=($!)
wait_for pairdb python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
  "http://127.0.0.1:$PAIRDB_HTTP_PORT/health"

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
