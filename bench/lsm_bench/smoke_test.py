#!/usr/bin/env python3
"""Smoke test of pairdb-lsm-bench: a tiny pairdb-only run must exit 0 and write well-formed JSON
with non-zero throughput and every key found.

Usage: smoke_test.py BENCH_BINARY WORK_DIR
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

WORKLOADS = ["fillrandom", "readrandom", "seekrandom", "readseq"]
NUM = 2000


def fail(message):
    print(f"lsm_bench_smoke: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check_report(report):
    engine = report.get("engines", {}).get("pairdb")
    if engine is None:
        fail("no pairdb engine in the JSON")
    if engine.get("state") != "ok":
        fail(f"pairdb state is {engine.get('state')}: {engine.get('error')}")
    workloads = engine.get("workloads", {})
    for name in WORKLOADS:
        result = workloads.get(name)
        if result is None:
            fail(f"workload {name} missing from the JSON")
        if not result["ops_per_sec"] > 0 or result["ops"] != NUM:
            fail(f"{name}: ops={result['ops']} ops_per_sec={result['ops_per_sec']}")
    if workloads["readrandom"]["found"] != NUM:
        fail(f"readrandom found {workloads['readrandom']['found']} of {NUM} keys")
    if not engine["totals"]["peak_rss_bytes"] or not engine["totals"]["space_bytes"]:
        fail("peak RSS or space used is missing")


def main():
    binary, work_dir = sys.argv[1], Path(sys.argv[2])
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    json_path = work_dir / "out.json"
    command = [binary, f"--num={NUM}", "--engines=pairdb", "--benchmarks=" + ",".join(WORKLOADS),
               f"--db={work_dir / 'db'}", f"--json={json_path}", "--write_buffer_size=65536"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=50)
    if completed.returncode != 0:
        fail(f"exit code {completed.returncode}\n{completed.stdout}\n{completed.stderr}")
    try:
        report = json.loads(json_path.read_text())
    except (OSError, ValueError) as error:
        fail(f"bad JSON: {error}")
    check_report(report)
    print("lsm_bench_smoke: ok")


if __name__ == "__main__":
    main()
