#!/usr/bin/env python3
"""Start-up cost of one-shot commands, side by side with google/yamlfmt, in one run.

Each command runs RUNS times, interleaved (so machine noise hits all alike); the figure is the median wall
time of fork+exec+wait, measured with a monotonic clock around posix_spawn. Prints a Markdown table.
Usage: startup.py SPECSYNC YAMLFMT SPEC_FILE [RUNS]
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
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter_ns() - start
    finally:
        os.close(fd)
        os.close(devnull)
    return elapsed / 1e6, os.waitstatus_to_exitcode(status)


def main():
    specsync, yamlfmt, spec = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    cases = [
        ("`specsync --version`", [specsync, "--version"], None),
        ("`specsync fmt -` (one example spec)", [specsync, "fmt", "-"], spec),
        ("`yamlfmt -` (same spec)", [yamlfmt, "-"], spec),
        ("`specsync check SPEC`", [specsync, "check", spec], None),
    ]
    times = {name: [] for name, _, _ in cases}
    for _ in range(5):  # warm the page cache
        for name, argv, stdin in cases:
            run_once(argv, stdin)
    for _ in range(runs):
        for name, argv, stdin in cases:
            ms, code = run_once(argv, stdin)
            if code not in (0, 1):
                sys.exit(f"{name}: exit {code}")
            times[name].append(ms)
    print(f"| command ({runs} runs, interleaved) | median | p90 |")
    print("| --- | --- | --- |")
    for name, _, _ in cases:
        values = sorted(times[name])
        print(f"| {name} | {statistics.median(values):.1f} ms | {values[int(len(values) * 0.9)]:.1f} ms |")
    print(f"| binary size: specsync | {os.path.getsize(specsync) / 1e6:.1f} MB | |")
    print(f"| binary size: yamlfmt | {os.path.getsize(yamlfmt) / 1e6:.1f} MB | |")


if __name__ == "__main__":
    main()
