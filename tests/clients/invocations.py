#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the runtime invocations a client made against what hako offers.

    invocations.py HAKO LOG [EXPECTED [partial]]

LOG is written by the logging wrapper (tests/integration/clients-helpers.bash):
one record per call, NUL-separated: the argument count, then the arguments.
Every call is reduced to a shape -- option values become the placeholder
`hako ... --help` names (DIR, FILE, ...), the container id becomes ID --
and checked against the help text of hako itself: the global options,
the command, and the command's options must all be listed there, and an
option that takes a value must have one.  The distinct shapes are printed
with how often each was seen.

With EXPECTED (a file, one shape a line, # comments allowed), the shapes
seen must be exactly those: a shape not listed means a client used
something no test has checked the behaviour of; a listed shape not seen
means the list is stale (unless `partial`: not every test ran).  Exits 1
on any problem.
"""
import re
import subprocess
import sys

# Values kept as they are: they select a behaviour.
LITERAL = {"log-format", "format"}
OPT_LINE = re.compile(r"^\s+(?:-(\w), )?--([a-z0-9-]+)(?: (\S+))?(?:\s{2,}|$)")
# Options shown only in the usage line: [--all], [--format table|json].
OPT_USAGE = re.compile(r"\[(?:-(\w), )?--([a-z0-9-]+)(?: ([^\]\s]+))?\]")


def help_options(hako, *cmd):
    out = subprocess.run([hako, *cmd, "--help"], capture_output=True, text=True).stdout
    opts = {}
    found = []
    for line in out.splitlines():
        if line.lstrip().startswith("Usage:"):
            found += [m.groups() for m in OPT_USAGE.finditer(line)]
        else:
            m = OPT_LINE.match(line)
            if m:
                found.append(m.groups())
    for short, name, value in found:
        opts["--" + name] = value
        if short:
            opts["-" + short] = value
    return out, opts


def commands(hako):
    out = subprocess.run([hako, "--help"], capture_output=True, text=True).stdout
    names, inside = set(), False
    for line in out.splitlines():
        if line.startswith("Commands:"):
            inside = True
            continue
        if inside:
            m = re.match(r"^  ([a-z]+)\s", line)
            if not m:
                break
            names.add(m.group(1))
    return names


def records(path):
    data = open(path, "rb").read().split(b"\0")
    i, out = 0, []
    while i < len(data) and data[i] != b"":
        n = int(data[i])
        out.append([a.decode("utf-8", "replace") for a in data[i + 1 : i + 1 + n]])
        i += 1 + n
    return out


def shape_options(args, opts, level, problems):
    """Consume leading options of ARGS; return (shape words, rest)."""
    words = []
    while args and args[0].startswith("-") and args[0] not in ("-", "--"):
        a = args.pop(0)
        name, eq, value = a.partition("=")
        if name not in opts:
            problems.append(f"{level}: `{name}` is not an option in `hako {level} --help`")
            words.append(a)
            continue
        placeholder = opts[name]
        if placeholder is None:
            if eq:
                problems.append(f"{level}: `{name}` takes no value but got `{value}`")
            words.append(name)
            continue
        if not eq:
            if not args:
                problems.append(f"{level}: `{name}` needs a value")
                words.append(name)
                continue
            value = args.pop(0)
        shown = value if name.lstrip("-") in LITERAL else placeholder
        words.append(f"{name}={shown}" if eq else f"{name} {shown}")
    return words, args


def main():
    hako, log = sys.argv[1], sys.argv[2]
    expected_file = sys.argv[3] if len(sys.argv) > 3 else None
    partial = len(sys.argv) > 4 and sys.argv[4] == "partial"
    problems = []
    _, gopts = help_options(hako)
    cmds = commands(hako)
    sub_opts = {}
    shapes = {}
    for rec in records(log):
        args = list(rec)
        words, args = shape_options(args, gopts, "(global)", problems)
        if args:
            cmd = args.pop(0)
            if cmd not in cmds:
                problems.append(f"`{cmd}` is not a command in `hako --help`")
            if cmd not in sub_opts:
                sub_opts[cmd] = help_options(hako, cmd)[1]
            w, args = shape_options(args, sub_opts[cmd], cmd, problems)
            words += [cmd] + w
            if args:
                words.append("ID")
                rest = args[1:]
                if cmd == "kill" and rest:
                    words.append(rest[0])  # the signal, as sent
                    rest = rest[1:]
                if rest:
                    words.append("ARG..." if cmd == "exec" else " ".join(rest))
        shape = " ".join(words)
        shapes[shape] = shapes.get(shape, 0) + 1
    for shape, n in sorted(shapes.items()):
        print(f"{n:4d}x  {shape}")
    if expected_file:
        expected = set()
        for line in open(expected_file):
            line = line.split("#", 1)[0].strip()
            if line:
                expected.add(" ".join(line.split()))
        for s in sorted(set(shapes) - expected):
            problems.append(f"not checked by any test (add a test, then the shape): {s}")
        for s in sorted(expected - set(shapes)):
            if partial:
                print(f"(not seen: only some tests ran) {s}")
            else:
                problems.append(f"expected but never seen: {s}")
    for p in problems:
        print("PROBLEM: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
