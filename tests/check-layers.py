#!/usr/bin/python3
"""check-layers: fail when an #include or a call goes against the layers.

Usage: check-layers.py SRCDIR BUILDDIR

The layers, lowest first (README "Layout"):

    common                     pure code
    daemon/io, lib             transports and helpers; the client library
    daemon/mesh, daemon/control, cli, tools/bench
    daemon/relay
    daemon                     main, wiring, reload

A file may include a header, and call a function, of its own folder or of
a lower layer; never of a higher one, and never of another folder of the
same layer (the mesh and the control socket do not know each other).
Inside a folder, calls between files must go one way: the graph of
which file calls which has no cycle (no two files call each other).

Includes are read from the sources; calls from the objects of the build
(nm: what each object defines and what it needs).
"""

import os
import re
import subprocess
import sys

GROUPS = [
    # (folder under the source tree, group name, rank)
    ("src/common", "common", 0),
    ("src/daemon/io", "daemon/io", 1),
    ("src/lib", "lib", 1),
    ("include", "lib", 1),
    ("src/daemon/mesh", "daemon/mesh", 2),
    ("src/daemon/control", "daemon/control", 2),
    ("src/cli", "cli", 2),
    ("tools/bench", "tools/bench", 2),
    ("src/daemon/relay", "daemon/relay", 3),
    ("src/daemon", "daemon", 4),
]


def group_of(path):
    """The (group, rank) of a path relative to the source tree, or None."""
    best = None
    for folder, name, rank in GROUPS:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, name, rank)
    return None if best is None else (best[1], best[2])


def allowed(src, dst):
    """May a file of group src depend on one of group dst?"""
    if src[0] == dst[0]:
        return True
    return src[1] > dst[1]


def sources(top):
    for folder, _, _ in GROUPS:
        base = os.path.join(top, folder)
        if not os.path.isdir(base):
            continue
        for d, _, files in os.walk(base):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), top)


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def resolve_include(top, path, name):
    """The tree path an #include "name" in path refers to, or None."""
    here = os.path.join(os.path.dirname(path), name)
    for cand in (here, os.path.join("src", name), os.path.join("include", name)):
        if os.path.exists(os.path.join(top, cand)):
            return os.path.normpath(cand)
    return None


def check_includes(top):
    errors = []
    for path in sorted(set(sources(top))):
        g = group_of(path)
        with open(os.path.join(top, path), encoding="utf-8") as fp:
            for n, line in enumerate(fp, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = resolve_include(top, path, m.group(1))
                if target is None:
                    continue    # generated (config.h) or system
                tg = group_of(target)
                if tg is not None and not allowed(g, tg):
                    errors.append("%s:%d: includes %s: %s may not depend "
                                  "on %s" % (path, n, target, g[0], tg[0]))
    return errors


def object_source(top, build, obj):
    """The source file (tree path) an object was built from, or None."""
    rel = os.path.relpath(obj, build)
    d = os.path.dirname(rel)
    if os.path.basename(d) == ".libs":
        d = os.path.dirname(d)
    stem = os.path.basename(rel)[:-2]
    # automake prefixes per-target objects: libdaemon_la-mesh, cohortd-main
    for cand in (stem, stem.split("-", 1)[-1]):
        src = os.path.join(d, cand + ".c")
        if os.path.exists(os.path.join(top, src)):
            return src
    return None


def nm_symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, needed = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            needed.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
    return defined, needed


def find_cycle(edges, nodes):
    """A cycle in the graph, as a list of nodes, or None."""
    colour = {n: 0 for n in nodes}
    stack = []

    def visit(n):
        colour[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if colour[m] == 1:
                return stack[stack.index(m):] + [m]
            if colour[m] == 0:
                c = visit(m)
                if c:
                    return c
        colour[n] = 2
        stack.pop()
        return None

    for n in sorted(nodes):
        if colour[n] == 0:
            c = visit(n)
            if c:
                return c
    return None


def check_calls(top, build):
    objs = {}
    for d, _, files in os.walk(build):
        if "/fuzz" in d or "/tests" in d or "/examples" in d:
            continue
        for f in files:
            if f.endswith(".o"):
                obj = os.path.join(d, f)
                src = object_source(top, build, obj)
                if src is not None and group_of(src) is not None:
                    objs[src] = nm_symbols(obj)
    if not objs:
        return ["no objects under %s: build first" % build]
    owner = {}
    for src, (defined, _) in objs.items():
        for sym in defined:
            owner.setdefault(sym, src)
    errors = []
    edges = {}
    for src, (_, needed) in sorted(objs.items()):
        g = group_of(src)
        for sym in sorted(needed):
            dst = owner.get(sym)
            if dst is None or dst == src:
                continue
            tg = group_of(dst)
            if not allowed(g, tg):
                errors.append("%s calls %s (%s): %s may not depend on %s"
                              % (src, sym, dst, g[0], tg[0]))
            if g[0] == tg[0]:
                edges.setdefault(src, set()).add(dst)
    groups = {}
    for src in objs:
        groups.setdefault(group_of(src)[0], []).append(src)
    for name, members in sorted(groups.items()):
        sub = {n: {m for m in edges.get(n, ()) if m in members}
               for n in members}
        cycle = find_cycle(sub, members)
        if cycle:
            errors.append("%s: files call each other in a circle: %s"
                          % (name, " -> ".join(cycle)))
    return errors


def self_test():
    """The checker finds what it is for, on a tree made for the purpose."""
    import tempfile
    with tempfile.TemporaryDirectory() as top:
        files = {
            "src/common/ok.c": '#include "wire.h"\n',
            "src/common/wire.h": "",
            "src/daemon/io/up.c": '#include "daemon/mesh/mesh.h"\n',
            "src/daemon/mesh/mesh.h": "",
            "src/daemon/mesh/side.c": '#include "daemon/control/control.h"\n',
            "src/daemon/control/control.h": "",
            "src/daemon/relay/down.c": '#include "daemon/mesh/mesh.h"\n',
        }
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(top, path)), exist_ok=True)
            with open(os.path.join(top, path), "w") as fp:
                fp.write(text)
        errors = check_includes(top)
        assert len(errors) == 2, errors
        assert any("io/up.c" in e for e in errors), errors
        assert any("mesh/side.c" in e for e in errors), errors
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c"])
    assert find_cycle({"a": {"b"}, "b": {"c"}}, ["a", "b", "c"]) is None
    assert not allowed(("common", 0), ("daemon/io", 1))
    assert allowed(("daemon", 4), ("common", 0))
    assert not allowed(("daemon/mesh", 2), ("daemon/control", 2))


def main():
    self_test()
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    top, build = sys.argv[1], sys.argv[2]
    errors = check_includes(top) + check_calls(top, build)
    for e in errors:
        print("check-layers: " + e, file=sys.stderr)
    if errors:
        print("check-layers: %d violation(s); see README, Layout"
              % len(errors), file=sys.stderr)
        return 1
    print("check-layers: includes and calls go one way")
    return 0


if __name__ == "__main__":
    sys.exit(main())
