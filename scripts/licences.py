#!/usr/bin/env python3
"""Licence check for CI: every crate the workspace can link, and every vendored front-end library,
must be usable in an Apache-2.0 product. A crate passes when its SPDX expression can be satisfied
by permissive licences (an OR needs one acceptable alternative, an AND needs all parts); GPL, AGPL,
LGPL, SSPL and unknown licences fail. MPL-2.0 is accepted (file-level copyleft, used unmodified;
see the README). Exits non-zero and names every offender."""

import json
import pathlib
import re
import subprocess
import sys

ACCEPTED = {
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "zlib-acknowledgement",
    "0BSD", "Unlicense", "CC0-1.0", "BSL-1.0", "Unicode-3.0", "Unicode-DFS-2016", "MPL-2.0",
    "Apache-2.0 WITH LLVM-exception", "CDLA-Permissive-2.0",
}


def tokens(expr):
    # "MIT/Apache-2.0" is the old crates.io spelling of "MIT OR Apache-2.0".
    expr = expr.replace("/", " OR ")
    return re.findall(r"\(|\)|[A-Za-z0-9.+-]+(?: WITH [A-Za-z0-9.+-]+)?", expr)


def acceptable(expr):
    """Recursive descent over OR (lowest), AND, parentheses and single licences."""
    toks = tokens(expr)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def atom():
        t = take()
        if t == "(":
            v = disjunction()
            take()  # ")"
            return v
        return t in ACCEPTED

    def conjunction():
        v = atom()
        while peek() == "AND":
            take()
            v = atom() and v
        return v

    def disjunction():
        v = conjunction()
        while peek() == "OR":
            take()
            v = conjunction() or v
        return v

    try:
        return disjunction() and pos == len(toks)
    except IndexError:
        return False


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"], check=True, capture_output=True, text=True
        ).stdout
    )
    workspace = set(meta["workspace_members"])
    bad = []
    for p in meta["packages"]:
        if p["id"] in workspace:
            continue
        lic = p.get("license") or ""
        if not acceptable(lic):
            bad.append(f"{p['name']} {p['version']}: {lic or '（未声明许可证）'}")
    root = pathlib.Path(__file__).resolve().parent.parent
    for licence in sorted(root.glob("crates/*/static/vendor/*/LICENSE*")):
        text = licence.read_text(errors="replace")
        if re.search(r"GNU (AFFERO |LESSER )?GENERAL PUBLIC LICENSE", text, re.I) or not re.search(
            r"MIT License|Permission is hereby granted|Apache License|BSD", text
        ):
            bad.append(f"{licence.parent.name} (vendored): licence not permissive")
    for vendored in sorted(root.glob("crates/*/static/vendor/*/")):
        if not any(vendored.glob("LICENSE*")):
            bad.append(f"{vendored.name} (vendored): no LICENSE file")
    if bad:
        print("licence check failed — not usable in an Apache-2.0 product:", file=sys.stderr)
        for b in bad:
            print("  " + b, file=sys.stderr)
        sys.exit(1)
    print(f"licence check: {len(meta['packages']) - len(workspace)} crates and the vendored libraries are permissive")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        cases = {
            "MIT": True, "MIT OR Apache-2.0": True, "MIT/Apache-2.0": True, "GPL-3.0": False,
            "MIT OR Apache-2.0 OR LGPL-2.1-or-later": True, "LGPL-2.1-or-later": False,
            "(MIT OR Apache-2.0) AND Unicode-3.0": True, "MIT AND GPL-2.0": False, "AGPL-3.0-only": False,
            "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT": True, "": False, "GPL-2.0 OR LGPL-3.0": False,
        }
        wrong = {e: want for e, want in cases.items() if acceptable(e) != want}
        if wrong:
            sys.exit(f"self-test failed: {wrong}")
        print("licence self-test passed")
    else:
        main()
