#!/usr/bin/env python3
"""Writes the worst inputs found within specsync's default limits (256 KiB, 50,000 nodes, depth 64,
10,000 alias nodes), one file per shape, each filled to just under the size or the node limit,
whichever it reaches first. Used by scripts/bench-worst.

Usage: worst_inputs.py DIR [LIMIT_BYTES [LIMIT_NODES]]
"""
import os
import sys

out = sys.argv[1]
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 256 << 10
node_limit = int(sys.argv[3]) if len(sys.argv) > 3 else 50_000
head = "id: X-1\ntitle: T\n"


def fill(prefix, unit, suffix="", nodes=1):
    """prefix + unit(0) + unit(1) + … + suffix, as many units (each `nodes` nodes) as fit under the
    limits; the prefix and suffix hold fewer than 16 nodes."""
    parts, size, i = [prefix], len(prefix.encode()) + len(suffix.encode()), 0
    while True:
        u = unit(i)
        n = len(u.encode())
        if size + n > limit - 16 or 16 + (i + 1) * nodes > node_limit:
            break
        parts.append(u)
        size += n
        i += 1
    parts.append(suffix)
    return "".join(parts)


SHAPES = {
    # Many nodes: every scalar, entry and item costs its share of the tree, resolver and emitter.
    "flat-mapping": lambda: fill(head, lambda i: f"k{i}: 1\n", nodes=2),
    "flat-sequence": lambda: fill(head + "requirements:\n", lambda i: "- r\n"),
    "flow-sequence-tiny-scalars": lambda: fill(head + "x: [", lambda i: "1,", "1]\n"),
    "flow-mapping-tiny": lambda: fill(head + "x: {", lambda i: f"{i}: 1,", "z: 1}\n", nodes=2),
    "non-ascii-flow-sequence": lambda: fill(head + "x: [", lambda i: "é,", "z]\n"),
    "empty-scalars": lambda: fill(head + "x:\n", lambda i: "- \n"),
    # Diagnostics: one per key or item, each with a message (and a typo hint to compute).
    "duplicate-keys": lambda: fill("id: X-1\n", lambda i: "a: 1\n", nodes=2),
    "unknown-keys-near-names": lambda: fill(head, lambda i: f"statux{i % 10}{i}: 1\n", nodes=2),
    "schema-errors-in-list": lambda: fill(head + "acceptance_criteria:\n", lambda i: "- c\n"),
    "bad-items-missing-keys": lambda: fill(head + "acceptance_criteria:\n", lambda i: "- {idd: x}\n", nodes=3),
    "files-anyof-failures": lambda: fill(head + "files_to_modify:\n", lambda i: "- {action: x}\n", nodes=3),
    # Comments and blank lines: the comment layer's passes.
    "comments-every-line": lambda: fill(head, lambda i: f"# c\nk{i}: 1  # e\n", nodes=2),
    "comment-lines-only": lambda: fill(head, lambda i: "#\n", nodes=0),
    "blank-lines-between-items": lambda: fill(head + "requirements:\n", lambda i: "  - r\n\n"),
    # Long scalars: escapes, folding, quoting on output.
    "one-long-double-quoted": lambda: fill(head + 'x: "', lambda i: "\\t\\u00e9", '"\n', nodes=0),
    "one-long-literal": lambda: fill(head + "x: |\n", lambda i: "  a b\n", nodes=0),
    "long-quoted-keys": lambda: fill(head, lambda i: f'"k {i} {"q" * 900}": 1\n', nodes=2),
    # Depth and aliases at their limits.
    "deep-nesting-repeated": lambda: fill(head + "x:\n", lambda i: "- " + "[" * 62 + "1" + "]" * 62 + "\n", nodes=63),
    "aliases-at-limit": lambda: head + "a: &a [" + ",".join(["1"] * 99) + "]\nb: [" + ",".join(["*a"] * 99) + "]\n",
}


def main():
    os.makedirs(out, exist_ok=True)
    only = os.environ.get("ONLY")
    for name, make in SHAPES.items():
        if only and name not in only.split(","):
            continue
        with open(os.path.join(out, f"{name}.yaml"), "w") as f:
            f.write(make())


if __name__ == "__main__":
    main()
