#!/usr/bin/env bash
# The README's run command: installs what is missing, builds a release and starts one pairdb
# node on 127.0.0.1 (binary protocol :7400, HTTP :7480) with conf/pairdb.toml. The node prints
# its data directory (default ~/.local/share/pairdb, or /var/lib/pairdb as root); set
# PAIRDB_DATA_DIR to choose another. Extra arguments are passed to pairdb (e.g. --http-listen).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target pairdb

args=(--config conf/pairdb.toml)
if [ -n "${PAIRDB_DATA_DIR:-}" ]; then
  args+=(--data-dir "$PAIRDB_DATA_DIR")
fi
exec build/bin/pairdb "${args[@]}" "$@"
