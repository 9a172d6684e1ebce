#!/usr/bin/env bash
# Installs the SDK (component pairdb_sdk) into a scratch prefix, builds the example application
# against it with find_package(pairdb), and runs the example against a real pairdb node on an
# ephemeral loopback port.
#
# usage: sdk_install_test.sh BUILD_DIR EXAMPLE_SOURCE_DIR PAIRDB_BINARY CXX CXX_FLAGS LINK_FLAGS
set -euo pipefail

build_dir=$1 example_dir=$2 pairdb=$3 cxx=$4 cxx_flags=$5 link_flags=$6
prefix=$build_dir/sdk-install
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pairdb-sdk-test-XXXXXX")
node_pid=
cleanup() {
  if [[ -n $node_pid ]] && kill -0 "$node_pid" 2>/dev/null; then
    kill -KILL "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

rm -rf "$prefix"
cmake --install "$build_dir" --component pairdb_sdk --prefix "$prefix"
test -f "$prefix/include/pairdb/client.h"
test -f "$prefix/lib/libpairdb_client.a"
test -f "$prefix/lib/cmake/pairdb/pairdb-config.cmake"
test -f "$prefix/lib/cmake/pairdb/pairdb-config-version.cmake"
test -f "$prefix/lib/cmake/pairdb/pairdb-targets.cmake"
# The public headers must not reach into src/ or the generated FlatBuffers code.
if grep -rnE '#include "|_generated\.h|flatbuffers' "$prefix/include/pairdb"; then
  echo "FAIL: an installed public header includes a private or generated header" >&2
  exit 1
fi

cmake -S "$example_dir" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$link_flags" >"$scratch/configure.log" ||
  { cat "$scratch/configure.log"; exit 1; }
cmake --build "$scratch/build" -j1 >"$scratch/build.log" || { cat "$scratch/build.log"; exit 1; }
kv=$scratch/build/pairdb_kv

"$pairdb" --data-dir "$scratch/data" --listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  --gossip-listen 127.0.0.1:0 --internode-listen 127.0.0.1:0 \
  --tables.default_replication_factor 1 2>"$scratch/node.log" &
node_pid=$!
port=
for _ in $(seq 1 300); do  # Poll the ready line for up to 30 s.
  port=$(sed -nE 's/.*ready: node \S+ serving binary protocol on [^ ]+:([0-9]+),.*/\1/p' \
    "$scratch/node.log" | head -n1)
  [[ -n $port ]] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$scratch/node.log"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "node never became ready" >&2; cat "$scratch/node.log"; exit 1; }

address=127.0.0.1:$port
"$kv" "$address" ping
"$kv" "$address" create-table kv
"$kv" "$address" put kv greeting "hello pairdb"
got=$("$kv" "$address" get kv greeting)
[[ $got == "hello pairdb" ]] || { echo "FAIL: get returned '$got'" >&2; exit 1; }
"$kv" "$address" delete kv greeting
status=0
"$kv" "$address" get kv greeting || status=$?
[[ $status -eq 1 ]] || { echo "FAIL: get after delete exited $status, want 1" >&2; exit 1; }
echo "PASS: installed SDK built the example, which talked to a real node"
