#!/usr/bin/env bash
# Checks conf/pairdb.service with `systemd-analyze verify`.
#   verify_unit.sh UNIT_FILE [PAIRDB_BINARY]
#
# Exit 0: the unit verifies cleanly. Exit 1: systemd found a problem. Exit 77 (CTest's
# SKIP_RETURN_CODE): systemd-analyze is not installed, so nothing was checked.
#
# How it stays honest:
#  - `verify` exits 0 even for unknown keys or unparsable values (it only logs "..., ignoring"),
#    so ANY diagnostic it prints fails the test, and a deliberately broken copy of the unit must
#    produce one (otherwise this systemd's verify cannot catch errors and the test fails).
#  - `verify` rejects a unit whose ExecStart binary does not exist. The unit names
#    /usr/local/bin/pairdb, which is not installed on a build machine, so the check runs on a
#    copy whose ExecStart binary is PAIRDB_BINARY (the built pairdb, when CMake has that target
#    and it has been built) or else /bin/true as a stand-in; the arguments are kept unchanged.
#  - A missing `pairdb` user is not reported by verify (systemd 252 resolves User= only when
#    starting the service), so it needs no special handling.
set -euo pipefail

unit="${1:?usage: verify_unit.sh UNIT_FILE [PAIRDB_BINARY]}"
binary="${2:-}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIPPED: systemd-analyze is not installed; conf/pairdb.service was not verified"
  exit 77
fi
[ -f "$unit" ] || { echo "FAIL: no unit file at $unit" >&2; exit 1; }

if [ -n "$binary" ] && [ -x "$binary" ]; then
  stand_in="$binary"
  echo "ExecStart binary: the built pairdb ($binary)"
else
  stand_in="/bin/true"
  echo "ExecStart binary: /bin/true stand-in (pairdb ${binary:+at $binary }is not built)"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
copy="$work/pairdb.service"
sed "s|^ExecStart=/usr/local/bin/pairdb |ExecStart=$stand_in |" "$unit" >"$copy"
if ! grep -q "^ExecStart=$stand_in --config " "$copy"; then
  echo "FAIL: expected 'ExecStart=/usr/local/bin/pairdb --config ...' in $unit" >&2
  exit 1
fi

# Prints verify's diagnostics for one unit file; returns verify's exit status.
run_verify() {
  (cd "$(dirname "$1")" && systemd-analyze verify "./$(basename "$1")" 2>&1)
}

# 1. The detector works: a broken copy must draw diagnostics.
broken="$work/broken/pairdb.service"
mkdir -p "$(dirname "$broken")"
sed -e 's|^Restart=on-failure|Restart=sometimes|' -e 's|^\[Service\]|[Service]\nNoSuchKey=1|' \
  "$copy" >"$broken"
broken_output="$(run_verify "$broken" || true)"
if [ -z "$broken_output" ]; then
  echo "FAIL: systemd-analyze verify reported nothing for a deliberately broken unit;" \
       "this test could not detect errors" >&2
  exit 1
fi

# 2. The real unit: clean exit and not a single diagnostic.
status=0
output="$(run_verify "$copy")" || status=$?
if [ "$status" -ne 0 ] || [ -n "$output" ]; then
  echo "FAIL: systemd-analyze verify on $unit (exit $status):" >&2
  echo "$output" >&2
  exit 1
fi
echo "PASS: systemd-analyze verify $unit: no diagnostics ($(systemd-analyze --version | head -1))"
