#!/usr/bin/env bash
# Installs every Debian 12 package pairdb's build, tests and benchmarks need. Idempotent: packages
# already present are skipped, and apt is not touched at all when nothing is missing.
# Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  # Toolchain and build.
  g++ cmake ninja-build ccache pkg-config git python3 openssl
  # Engine and common libraries.
  libfmt-dev libxxhash-dev libcli11-dev
  # Tests and benchmarks.
  catch2 libbenchmark-dev
  # Benchmark-only: the engines pairdb-lsm-bench compares against. The engine never links them,
  # and the bench builds without them (their columns then say absent).
  librocksdb-dev libleveldb-dev
  # Benchmark-only: the servers bench/compare-redis.sh and bench/compare-cluster.sh measure
  # pairdb against (and their tools): redis-server, and etcd 3.4 for the cluster comparison.
  redis-server redis-tools etcd-server
  # Wire schemas (gossip, later the client and internode protocols).
  flatbuffers-compiler libflatbuffers-dev
  # The daemon: Asio/Beast (Boost 1.81 for Boost.JSON), TOML config, sd_notify, TLS.
  libboost1.81-dev libboost-json1.81-dev libtomlplusplus-dev libsystemd-dev libssl-dev
  # libFuzzer targets (tests/fuzz): clang and its sanitizer/fuzzer runtime.
  clang libclang-rt-14-dev
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# redis-server and etcd-server ship a system service; the benchmarks start their own instances
# on free ports, so none is started by the install: invoke-rc.d's policy hook refuses it while
# apt runs (unless the machine already has a policy of its own).
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
