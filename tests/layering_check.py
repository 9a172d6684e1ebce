#!/usr/bin/env python3
"""Checks that every #include in src/, include/ and bench/ follows the module graph.

    server -> replication -> {ring, gossip, lsm} -> common
    net (frames and sockets) -> common;  client -> net, common;  admin -> client, common

A module may include its own headers and those of the modules it depends on, directly or not.
Protocol cores (common, lsm, ring, gossip, replication) never include Asio, and the SDK's public
headers include nothing of pairdb but themselves. The build enforces the same graph through
per-module include views (CMakeLists.txt); this check names the offending line.

Usage: layering_check.py SOURCE_DIR      check the tree, exit 1 listing every violation
       layering_check.py --self-test     check that the checker catches planted violations
"""
import os
import re
import sys
import tempfile

DEPENDS = {
    "common": [],
    "lsm": ["common"],
    "ring": ["common"],
    "gossip": ["ring", "common"],
    "replication": ["gossip", "lsm", "ring", "common"],
    "net": ["common"],
    "server": ["replication", "net", "gossip", "lsm", "ring", "common"],
    "client": ["net", "common"],
    "admin": ["client", "common"],
    "bench": ["replication", "lsm", "ring", "client", "common"],
}
SANS_IO = {"common", "lsm", "ring", "gossip", "replication"}
# Top-level public headers and the module they belong to.
PUBLIC_FILES = {"status.h": "common", "client.h": "client"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def allowed(module):
    seen, stack = {module}, [module]
    while stack:
        for dep in DEPENDS[stack.pop()]:
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def module_of_include(path):
    """The pairdb module a quoted or <pairdb/...> include names, or None for anything else."""
    if path.startswith("pairdb/"):
        rest = path[len("pairdb/"):]
        if rest in PUBLIC_FILES:
            return PUBLIC_FILES[rest]
        head = rest.split("/", 1)[0]
        return head if head in DEPENDS else None
    head = path.split("/", 1)[0]
    return head if head in DEPENDS and "/" in path else None


def files_of(root):
    """(module, path) for every C++ file that belongs to a module."""
    for module in DEPENDS:
        for base in (os.path.join(root, "src", module), os.path.join(root, "include", "pairdb", module)):
            for directory, _, names in os.walk(base):
                for name in names:
                    if name.endswith((".h", ".cc")):
                        yield module, os.path.join(directory, name)
    for name, module in PUBLIC_FILES.items():
        path = os.path.join(root, "include", "pairdb", name)
        if os.path.exists(path):
            yield module, path
    for directory, _, names in os.walk(os.path.join(root, "bench")):
        for name in names:
            if name.endswith((".h", ".cc")):
                yield "bench", os.path.join(directory, name)


def violations(root):
    found = []
    for module, path in files_of(root):
        ok = allowed(module)
        sdk_public = os.path.relpath(path, root).startswith(os.path.join("include", "pairdb", "client"))
        with open(path, encoding="utf-8", errors="replace") as source:
            for number, line in enumerate(source, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                included = match.group(2)
                where = f"{os.path.relpath(path, root)}:{number}"
                target = module_of_include(included)
                if target is not None and target not in ok:
                    found.append(f"{where}: {module} may not include {included} (module {target})")
                if module in SANS_IO and included.startswith("boost/asio"):
                    found.append(f"{where}: {module} is sans-IO and may not include {included}")
                if sdk_public and target is not None and target != "client":
                    found.append(f"{where}: the SDK's public headers may not include {included}")
    return found


def self_test():
    planted = {
        "src/replication/bad.h": '#include "server/api/item_service.h"\n',
        "src/net/bad.cc": '#include <pairdb/replication/version.h>\n',
        "src/gossip/bad.cc": "#include <boost/asio/io_context.hpp>\n",
        "include/pairdb/client/bad.h": "#include <pairdb/status.h>\n",
        "src/server/fine.cc": '#include "replication/placement.h"\n#include <pairdb/lsm/db.h>\n',
        "src/lsm/fine.cc": '#include "common/assert.h"\n#include "lsm/format.h"\n',
    }
    with tempfile.TemporaryDirectory() as root:
        for relative, text in planted.items():
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as out:
                out.write(text)
        found = violations(root)
    expected_bad = ["src/replication/bad.h", "src/net/bad.cc", "src/gossip/bad.cc",
                    "include/pairdb/client/bad.h"]
    missing = [f for f in expected_bad if not any(v.startswith(f + ":") for v in found)]
    wrong = [v for v in found if "fine" in v]
    if missing or wrong or len(found) != len(expected_bad):
        print("self-test failed: missed", missing, "wrongly flagged", wrong, "found", found)
        return 1
    print(f"self-test passed: {len(found)} planted violations caught, clean files passed")
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) break the layering")
        return 1
    print("layering: every include follows the module graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
