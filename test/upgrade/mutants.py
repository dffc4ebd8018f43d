#!/usr/bin/env python3
"""test/upgrade/mutants.py — the upgrade script with one statement left out.

Usage: mutants.py UPGRADE_SCRIPT OUTDIR

Splits UPGRADE_SCRIPT into its top-level SQL statements (a statement ends at
a ';' at the end of a line outside any dollar-quoted body; comment-only
lines and psql backslash lines are not statements) and writes, for each
statement i, OUTDIR/i.sql: the whole script without statement i. Prints one
line per mutant: "i<TAB>first line of the statement left out". Suite
28-upgrade installs each mutant as an upgrade path and checks that the
catalog then differs from a fresh install (or the update fails): a
statement whose loss nobody notices is one the test does not cover.

A statement whose effect is not in the catalog (rows put into a table, a
role the cluster already has from a fresh install) is exempt when the line
right before it is a comment containing "upgrade-test: not in the catalog";
it gets no mutant and is listed on stderr.
"""
import os
import re
import sys

DOLLAR = re.compile(r"\$[A-Za-z_][A-Za-z_0-9]*\$|\$\$")


def statements(lines):
    """Yield (start, end) line ranges of the top-level statements."""
    start = None
    quote = None  # the open dollar-quote tag, if any
    for i, line in enumerate(lines):
        code = line if quote else line.split("--", 1)[0]
        if start is None:
            if not code.strip() or line.lstrip().startswith("\\"):
                continue
            start = i
        for tag in DOLLAR.findall(code):
            if quote is None:
                quote = tag
            elif tag == quote:
                quote = None
        if quote is None and code.rstrip().endswith(";"):
            yield start, i + 1
            start = None
    if start is not None:
        sys.exit(f"mutants.py: unterminated statement from line {start + 1}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    script, outdir = sys.argv[1], sys.argv[2]
    with open(script, encoding="utf-8") as f:
        lines = f.readlines()
    os.makedirs(outdir, exist_ok=True)
    for n, (a, b) in enumerate(statements(lines), 1):
        if a > 0 and lines[a - 1].lstrip().startswith("--") and "upgrade-test: not in the catalog" in lines[a - 1]:
            print(f"mutants.py: statement {n} exempt: {lines[a].strip()[:100]}", file=sys.stderr)
            continue
        with open(os.path.join(outdir, f"{n}.sql"), "w", encoding="utf-8") as f:
            f.writelines(lines[:a] + lines[b:])
        print(f"{n}\t{lines[a].strip()[:100]}")


if __name__ == "__main__":
    main()
