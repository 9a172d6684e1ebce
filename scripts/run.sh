#!/usr/bin/env bash
# The README's run command: installs what is missing, builds a release and starts a local
# pairdb cluster: by default three nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (each: binary
# protocol :7400, HTTP :7480, gossip :7401, internode :7402), every one with its own data
# directory and log, all sharing one context key. `--nodes 1` starts a single node (tables
# then default to one replica). It prints where the data and logs are, waits until every node
# serves HTTP, and stops them all on Ctrl-C or SIGTERM.
#
#   scripts/run.sh [--nodes N] [-- EXTRA PAIRDB ARGS]
#
# Data lives under $PAIRDB_DATA_DIR if set, else ~/.local/share/pairdb (or /var/lib/pairdb as
# root), in node1/, node2/, ...; each node logs to <data>/nodeI.log.
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=3
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --nodes=*) nodes="${1#--nodes=}"; shift ;;
    --) shift; extra=("$@"); break ;;
    *) extra+=("$1"); shift ;;
  esac
done
if ! [[ $nodes =~ ^[1-9]$ ]]; then
  echo "run.sh: --nodes takes 1 to 9" >&2
  exit 2
fi

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target pairdb

if [ -n "${PAIRDB_DATA_DIR:-}" ]; then
  base="$PAIRDB_DATA_DIR"
elif [ "$(id -u)" = 0 ]; then
  base=/var/lib/pairdb
else
  base="${XDG_DATA_HOME:-$HOME/.local/share}/pairdb"
fi
mkdir -p "$base"
# One context key for the whole cluster: a context read through one node is written back
# through another.
key="$base/context.key"
if [ ! -s "$key" ]; then (umask 077; openssl rand -hex 32 >"$key"); fi

replicas=3
if [ "$nodes" -lt 3 ]; then replicas="$nodes"; fi

pids=()
stop_all() {
  trap - INT TERM
  echo "stopping ${#pids[@]} node(s)"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all INT TERM

for i in $(seq 1 "$nodes"); do
  host="127.0.0.$i"
  args=(--config conf/pairdb.toml --data-dir "$base/node$i" --context-key-file "$key"
        --listen "$host:7400" --http-listen "$host:7480" --gossip-listen "$host:7401"
        --internode-listen "$host:7402" --rack "rack$i"
        --tables.default_replication_factor "$replicas")
  if [ "$i" != 1 ]; then args+=(--seeds 127.0.0.1:7401); fi
  build/bin/pairdb "${args[@]}" "${extra[@]}" 2>"$base/node$i.log" &
  pids+=($!)
done

for i in $(seq 1 "$nodes"); do
  ready=
  for _ in $(seq 1 300); do  # Poll each node's health for up to 30 s.
    if curl -sf "http://127.0.0.$i:7480/health" >/dev/null 2>&1; then ready=1; break; fi
    if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "node $i did not start; its log ($base/node$i.log) ends with:" >&2
    tail -20 "$base/node$i.log" >&2
    stop_all
    exit 1
  fi
done

echo "pairdb: $nodes node(s) up, tables default to $replicas replica(s); data and logs in $base"
for i in $(seq 1 "$nodes"); do
  echo "  node $i: HTTP 127.0.0.$i:7480, binary 127.0.0.$i:7400, log $base/node$i.log"
done
echo "try: curl -X PUT 127.0.0.1:7480/v1/tables/users/items/alice -d hello"
echo "     curl 127.0.0.2:7480/v1/tables/users/items/alice   (after creating table users)"
echo "Ctrl-C stops the cluster."
wait "${pids[@]}"
