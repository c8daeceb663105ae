#!/usr/bin/env python3
"""Start-up cost of one-shot commands, side by side with google/yamlfmt, in one run.

Each command runs RUNS times, interleaved (so machine noise hits all alike); the figure is the median wall
time of fork+exec+wait, measured with a monotonic clock around posix_spawn, and the child's CPU time
(user + system, from wait4), which a busy machine disturbs less than wall time. Prints a Markdown table with
the issue's targets. BASELINE (another packaged specsync binary, e.g. a build of main) adds its rows, run
interleaved with the others.
Usage: startup.py SPECSYNC YAMLFMT SPEC_FILE [RUNS] [BASELINE]
"""
import os
import statistics
import sys
import time


def run_once(argv, stdin_path):
    fd = os.open(stdin_path or os.devnull, os.O_RDONLY)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        actions = [(os.POSIX_SPAWN_DUP2, fd, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        start = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter_ns() - start
    finally:
        os.close(fd)
        os.close(devnull)
    return elapsed / 1e6, (usage.ru_utime + usage.ru_stime) * 1000, os.waitstatus_to_exitcode(status)


def main():
    specsync, yamlfmt, spec = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    baseline = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    binaries = [("specsync", specsync)] + ([("baseline", baseline)] if baseline else [])
    cases = []
    for label, binary in binaries:
        cases += [
            (f"`{label} --version`", [binary, "--version"], None, "≤ 5 ms"),
            (f"`{label} fmt -` (one example spec)", [binary, "fmt", "-"], spec, "≤ yamlfmt"),
            (f"`{label} check SPEC`", [binary, "check", spec], None, "≤ 10 ms"),
        ]
    cases.insert(2, ("`yamlfmt -` (same spec)", [yamlfmt, "-"], spec, ""))
    times = {name: [] for name, _, _, _ in cases}
    cpu = {name: [] for name, _, _, _ in cases}
    for _ in range(5):  # warm the page cache
        for name, argv, stdin, _ in cases:
            run_once(argv, stdin)
    for _ in range(runs):
        for name, argv, stdin, _ in cases:
            ms, cpu_ms, code = run_once(argv, stdin)
            if code not in (0, 1):
                sys.exit(f"{name}: exit {code}")
            times[name].append(ms)
            cpu[name].append(cpu_ms)
    print(f"| command ({runs} runs, interleaved) | median | p90 | CPU (user+sys) median | target |")
    print("| --- | --- | --- | --- | --- |")
    for name, _, _, target in cases:
        values = sorted(times[name])
        print(f"| {name} | {statistics.median(values):.1f} ms | {values[int(len(values) * 0.9)]:.1f} ms "
              f"| {statistics.median(cpu[name]):.1f} ms | {target} |")
    for label, binary in binaries:
        print(f"| binary size: {label} | {os.path.getsize(binary) / 1e6:.1f} MB | | | ≤ 25 MB |")
    print(f"| binary size: yamlfmt | {os.path.getsize(yamlfmt) / 1e6:.1f} MB | | | |")


if __name__ == "__main__":
    main()
