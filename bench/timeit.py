#!/usr/bin/env python3
"""Runs a command several times and prints its median wall time and median CPU time.

Usage: timeit.py RUNS [--setup 'shell command run untimed before each run'] -- COMMAND...
Prints: median_wall min_wall max_wall exit_code_of_last_run median_cpu
(CPU = user + system seconds of the command and its children; the setup is not counted.)
"""
import os
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
times, cpus, code = [], [], 0
for _ in range(runs):
    if setup:
        subprocess.run(setup, shell=True, check=True)
    before = os.times()
    start = time.perf_counter()
    code = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    times.append(time.perf_counter() - start)
    after = os.times()
    cpus.append((after.children_user - before.children_user) + (after.children_system - before.children_system))
print(f"{statistics.median(times):.3f} {min(times):.3f} {max(times):.3f} {code} {statistics.median(cpus):.3f}")
