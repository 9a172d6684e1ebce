#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test.
#   - unit, crash and simulation tests under AddressSanitizer + UndefinedBehaviorSanitizer
#     (the `asan` preset), through ctest;
#   - a release build of everything (binaries in build/bin), so benchmarks and tools compile.
# Environment: PAIRDB_CRASH_POINTS (default 1000) and PAIRDB_MODEL_OPS scale the randomized
# campaigns; JOBS sets build parallelism (default: number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
JOBS="${JOBS:-$(nproc)}"

echo "== configure + build (asan)"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"

echo "== tests (asan)"
ctest --preset asan -j "$JOBS" --timeout 900

echo "== build (release)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
echo "== all tests passed"
