#!/usr/bin/env bash
# The README's run command: installs what is missing, builds a release, and runs the storage
# engine demo against a data directory it prints. (The pairdb server replaces this once it
# exists.) PAIRDB_DATA_DIR overrides where the data goes; extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target pairdb-lsm-tool

DATA_DIR="${PAIRDB_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/pairdb/demo}"
mkdir -p "$(dirname "$DATA_DIR")"
exec build/bin/pairdb-lsm-tool demo --db "$DATA_DIR" "$@"
