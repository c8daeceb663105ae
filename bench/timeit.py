#!/usr/bin/env python3
"""Runs a command several times and prints its median wall time.

Usage: timeit.py RUNS [--setup 'shell command run untimed before each run'] -- COMMAND...
Prints: median_seconds min_seconds max_seconds exit_code_of_last_run
"""
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
setup = None
args = sys.argv[2:]
if args and args[0] == "--setup":
    setup, args = args[1], args[2:]
if args and args[0] == "--":
    args = args[1:]
times, code = [], 0
for _ in range(runs):
    if setup:
        subprocess.run(setup, shell=True, check=True)
    start = time.perf_counter()
    code = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.3f} {min(times):.3f} {max(times):.3f} {code}")
