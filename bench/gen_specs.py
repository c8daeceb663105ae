#!/usr/bin/env python3
"""Generates N realistic Tandemonium task specs (~1.2 KB, with section and end-of-line comments).

Half are canonical already; the rest carry the mess people and tools produce (4-space indents,
shuffled keys, extra quoting, flow lists, trailing spaces) so `fmt` has real work to do.
Usage: gen_specs.py DIR N [--seed S] [--dirs D]  (D: spread files over D subdirectories)
"""
import os
import random
import sys

WORDS = ("export report invoice ledger cache avatar thumbnail login timeout network retry "
         "queue worker schema index search filter page render pdf csv upload storage token "
         "session audit log metric alert budget month close import parser config").split()
STATUSES = ["draft", "refining", "ready", "assigned", "working", "blocked", "paused", "review", "done"]


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def spec(rng, i, messy):
    sid = f"TAND-{i:05d}"
    ind = "    " if messy else "  "
    q = (lambda s: f"'{s}'") if messy else (lambda s: s)
    lines = []
    lines.append(f"# {sid}: generated spec for the benchmark")
    head = [
        f"id: {sid}",
        f"title: {q(words(rng, 5).capitalize())}",
        f"status: {rng.choice(STATUSES)}",
        'created_at: "2025-03-02T09:15:00Z"',
        "quick_mode: false",
    ]
    if messy:
        rng.shuffle(head)
    lines += head
    lines += ["", "# Where this task comes from", "strategic_context:",
              f"{ind}cuj_id: \"CUJ-{rng.randint(1, 9)}\"  # see journeys.md",
              f"{ind}cuj_name: {words(rng, 2).capitalize()}",
              f"{ind}feature_id: {rng.choice(WORDS)}-{rng.choice(WORDS)}  # kebab-case",
              f"{ind}mvp_included: true", "",
              "user_story:",
              f"{ind}text: \"As a user, I want {words(rng, 6)} so that {words(rng, 5)}.\"",
              f"{ind}hash: \"{rng.getrandbits(32):08x}\"", "",
              "summary: |",
              f"{ind}{words(rng, 9).capitalize()}.",
              f"{ind}{words(rng, 8).capitalize()}.", "",
              "requirements:"]
    for _ in range(3):
        lines.append(f"{ind}- {words(rng, 6)}" + ("   " if messy else ""))
    lines += ["", "acceptance_criteria:"]
    for k in range(1, 4):
        lines.append(f"{ind}- id: ac-{k}")
        lines.append(f"{ind}  description: {words(rng, 7)}")
    lines += ["", "files_to_modify:"]
    if messy:
        lines.append(f"{ind}- src/{rng.choice(WORDS)}/{rng.choice(WORDS)}.py")
    for _ in range(2):
        lines.append(f"{ind}- action: modify")
        lines.append(f"{ind}  path: src/{rng.choice(WORDS)}/{rng.choice(WORDS)}.swift")
        lines.append(f"{ind}  description: {words(rng, 4)}")
    lines += ["", f"complexity: {rng.choice(['low', 'medium', 'high'])}  # low | medium | high",
              f"estimated_minutes: {rng.randint(10, 240)}", f"priority: {rng.randint(1, 4)}"]
    return "\n".join(lines) + "\n"


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
    dirs = int(sys.argv[sys.argv.index("--dirs") + 1]) if "--dirs" in sys.argv else 1
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        d = out if dirs <= 1 else os.path.join(out, f"d{i % dirs:05d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"TAND-{i:05d}.yaml"), "w") as f:
            f.write(spec(rng, i, messy=(i % 2 == 1)))


if __name__ == "__main__":
    main()
