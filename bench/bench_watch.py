#!/usr/bin/env python3
"""Benchmarks for `specsync watch` (driven by scripts/bench-watch; a command, not a test).

  latency   SAVES external saves of realistic messy specs (bench/gen_specs.py), one at a time.
            Measured externally: from the saver's close() to the IN_MOVED_TO of the canonical file
            on that name (our own inotify watch on the directory), minus the settle window for
            specsync watch. Also specsync's own latency_ms from --events, minus the settle window.
            The same saves then go through an
              inotifywait -m -e close_write,moved_to DIR | while read f; do specsync fmt "$f"; done
            pipeline (no settle window, nothing subtracted).
  startup   a tree of DIRS directories / FILES files: time from spawning `specsync watch
            --startup off` to its `ready:` log line, and VmHWM (peak RSS); then with
            `--startup check` (ready line, and the end of the start-up check). The floor program
            (bench/floor.c) on the same tree first: no start-up check ends before its CPU time
            divided by the cores.
  idle      context switches of every thread of the watcher over IDLE seconds with nothing
            happening (/proc/PID/task/*/status), and `perf stat` when available.
  burst     BURST messy specs (~1.2 KB) in BURST_DIRS folders copied (cp -r) into a watched tree:
            time from the start of the copy until the --events stream has reported every one of
            them normalized (read by this script as it grows), against `specsync fmt` on a fresh
            copy of the same files (spawn to exit; the copy is not timed, its data is not yet
            written back, as for the watcher), alternating, RUNS times each; medians. Also the copy
            alone (cp -r into an unwatched directory), for scale.
  --baseline BIN runs the latency saves and the bursts through another specsync binary too (e.g. a
  build of main), interleaved in the same run, so a change can be judged against the same noise.

Usage: bench_watch.py --bin SPECSYNC --work DIR [--saves 300] [--dirs 10000] [--files 100000]
                      [--runs 3] [--idle 5] [--burst 8000] [--burst-dirs 40] [--baseline BIN]
                      [--only latency|startup|idle|burst[,…]]
"""
import argparse
import ctypes
import json
import os
import random
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_specs import spec  # noqa: E402

IN_CLOSE_WRITE = 0x008
IN_MOVED_TO = 0x080
SETTLE_MS = 50.0  # the default settle_ms; the latency runs use the default configuration

libc = ctypes.CDLL("libc.so.6", use_errno=True)


class Inotify:
    def __init__(self, directory, mask):
        self.fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, directory.encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), "inotify")
        self.pending = []

    def wait(self, name, mask, timeout):
        """Monotonic ns at which an event for `name` was read, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (ev_mask, ev_name, at) in enumerate(self.pending):
                if ev_name == name and ev_mask & mask:
                    del self.pending[: i + 1]
                    return at
            self.pending.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                continue
            at = time.monotonic_ns()
            data = os.read(self.fd, 65536)
            offset = 0
            while offset < len(data):
                _, ev_mask, _, length = struct.unpack_from("iIII", data, offset)
                raw = data[offset + 16: offset + 16 + length].split(b"\0", 1)[0]
                self.pending.append((ev_mask, raw.decode(errors="replace"), at))
                offset += 16 + length

    def drain(self):
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass
        self.pending.clear()

    def close(self):
        os.close(self.fd)


def pct(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summary(name, values):
    if not values:
        return f"{name:62s} (no samples)"
    return (f"{name:62s} median {statistics.median(values):7.2f} ms   p99 {pct(values, 99):7.2f} ms   "
            f"max {max(values):7.2f} ms   (n={len(values)})")


def save(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    return time.monotonic_ns()


def wait_for_line(stream_path, fragment, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(stream_path, errors="replace") as f:
            text = f.read()
        if fragment in text:
            return time.monotonic_ns()
        if proc.poll() is not None:
            raise SystemExit(f"watcher exited ({proc.returncode}) before '{fragment}':\n{text[-2000:]}")
        time.sleep(0.0005)
    raise SystemExit(f"timed out waiting for '{fragment}' in {stream_path}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    return "?"


def context_switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


# ---------------------------------------------------------------------------------------------


def run_saves(specs, saves, settle_ms, label, rng):
    """Saves messy specs one at a time; returns external latencies in ms (minus settle_ms)."""
    probe = Inotify(specs, IN_MOVED_TO)
    latencies, missed = [], 0
    names = [f"L{i:03d}.yaml" for i in range(30)]
    for i in range(saves):
        name = names[i % len(names)]
        text = spec(rng, 100000 + i, messy=True)
        probe.drain()
        t0 = save(os.path.join(specs, name), text)
        t1 = probe.wait(name, IN_MOVED_TO, timeout=10)
        if t1 is None:
            missed += 1
            continue
        latencies.append((t1 - t0) / 1e6 - settle_ms)
    probe.close()
    if missed:
        print(f"  {label}: {missed} saves never produced a canonical file within 10 s")
    return latencies


def bench_latency(binary, work, saves, baseline=None):
    print(f"\n== latency: {saves} saves of ~1.2 KB messy specs, one at a time ==")
    # With a baseline: both watchers in turn, in blocks of 50 saves, so both see the same noise.
    if baseline:
        ours, theirs, ours_internal, theirs_internal = [], [], [], []
        for block in range(max(1, saves // 50)):
            for which, (external, internal) in ((binary, (ours, ours_internal)), (baseline, (theirs, theirs_internal))):
                e, i = watch_saves(which, work, min(50, saves), random.Random(7 + block))
                external += e
                internal += i
        print(summary("specsync watch, external (close → canonical renamed in) − 50 ms", ours))
        print(summary("specsync watch, --events latency_ms − 50 ms", ours_internal))
        print(summary("baseline, external − 50 ms", theirs))
        print(summary("baseline, --events latency_ms − 50 ms", theirs_internal))
        return
    external, internal = watch_saves(binary, work, saves, random.Random(7), label="specsync watch")
    root = os.path.join(work, "latency")
    specs = os.path.join(root, ".tandemonium", "specs")
    print(summary("specsync watch, external (close → canonical renamed in) − 50 ms", external))
    print(summary("specsync watch, --events latency_ms − 50 ms", internal))
    print(summary("floor: durable replace alone (temp+fsync+rename+dir fsync)", durable_floor(specs, saves)))

    # The peer: inotifywait piped into a shell loop running the same formatter.
    if not shutil.which("inotifywait"):
        print("inotifywait not installed (apt-get install inotify-tools): pipeline comparison skipped")
        return
    shutil.rmtree(specs)
    os.makedirs(specs)
    pipeline = (f'inotifywait -m -e close_write,moved_to --format "%w%f" "{specs}" | '
                f'while read -r f; do case "$f" in *.yaml) "{binary}" fmt "$f" >/dev/null 2>&1;; esac; done')
    log2 = os.path.join(root, "pipeline.log")
    with open(log2, "w") as err:
        proc = subprocess.Popen(["bash", "-c", pipeline], cwd=root, stderr=err, stdout=subprocess.DEVNULL,
                                start_new_session=True)
    wait_for_line(log2, "Watches established", proc, 30)
    piped = run_saves(specs, saves, 0.0, "inotifywait pipeline", random.Random(7))
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()
    print(summary("inotifywait | while read; specsync fmt  (close → canonical)", piped))


def watch_saves(binary, work, saves, rng, label=None):
    """One watcher, `saves` saves; (external latencies, --events latencies), both minus the settle window."""
    root = os.path.join(work, "latency")
    shutil.rmtree(root, ignore_errors=True)
    specs = os.path.join(root, ".tandemonium", "specs")
    os.makedirs(specs)
    events = os.path.join(root, "events.jsonl")
    log = os.path.join(root, "watch.log")
    with open(log, "w") as err:
        proc = subprocess.Popen([binary, "watch", "--startup", "off", "--events", events], cwd=root,
                                stderr=err, stdout=subprocess.DEVNULL)
    wait_for_line(log, "ready:", proc, 30)
    external = run_saves(specs, saves, SETTLE_MS, label or binary, rng)
    stop(proc)
    internal = []
    with open(events) as f:
        for line in f:
            obj = json.loads(line)
            if obj.get("action") == "normalized" and "latency_ms" in obj:
                internal.append(float(obj["latency_ms"]) - SETTLE_MS)
    return external, internal


def durable_floor(directory, count):
    """What any durable rewrite costs on this file system: the part of the latency that is I/O."""
    text = spec(random.Random(3), 1, messy=False).encode()
    dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    samples = []
    for i in range(count):
        t0 = time.monotonic_ns()
        tmp = os.path.join(directory, f".floor-{i}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, text)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(directory, "floor.txt"))
        os.fsync(dfd)
        samples.append((time.monotonic_ns() - t0) / 1e6)
    os.close(dfd)
    os.unlink(os.path.join(directory, "floor.txt"))
    return samples


def make_tree(work, dirs, files):
    tree = os.path.join(work, f"tree-{dirs}-{files}")
    marker = os.path.join(tree, ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(tree, ignore_errors=True)
        print(f"generating {dirs} directories / {files} specs in {tree} (once; reused later) …", flush=True)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "gen_specs.py"), tree, str(files),
                        "--dirs", str(dirs)], check=True)
        open(marker, "w").close()
    return tree


def one_startup(binary, tree, work, policy, idle_seconds=0, cache=None):
    """`cache`: the $XDG_CACHE_HOME for the run (the start-up verdicts); None: a fresh empty one."""
    log = os.path.join(work, f"startup-{policy}.log")
    if cache is None:
        cache = os.path.join(work, "xdg-cache-cold")
        shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    with open(log, "w") as err:
        t0 = time.monotonic_ns()
        proc = subprocess.Popen([binary, "watch", "--startup", policy, tree], cwd=work, stderr=err,
                                stdout=subprocess.DEVNULL, env=env)
    ready = (wait_for_line(log, "ready:", proc, 300) - t0) / 1e6
    done = None
    if policy != "off":
        done = (wait_for_line(log, f"start-up {policy}:", proc, 600) - t0) / 1e6
    hwm = proc_status(proc.pid, "VmHWM")
    idle = None
    if idle_seconds:
        before = context_switches(proc.pid)
        perf = None
        if shutil.which("perf"):
            r = subprocess.run(["perf", "stat", "-x,", "-e", "context-switches,task-clock", "-p", str(proc.pid),
                                "--", "sleep", str(idle_seconds)], capture_output=True, text=True)
            perf = [l for l in r.stderr.splitlines() if "context-switches" in l or "task-clock" in l]
        else:
            time.sleep(idle_seconds)
        idle = (context_switches(proc.pid) - before, perf)
    code = stop(proc)
    with open(log) as f:
        tail = f.read()
    return ready, done, hwm, idle, code, tail


def floor_of_tree(tree, work, runs):
    """The floor program (bench/floor.c: read every file and run libyaml's event parser, one thread) on
    the same tree, in the same run: no start-up check can end sooner than half its CPU time on two
    cores, whatever else it does."""
    here = os.path.dirname(os.path.abspath(__file__))
    floor = os.path.join(work, "floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(here, "floor.c"), "-lyaml"], check=True)
    out = subprocess.run([sys.executable, os.path.join(here, "timeit.py"), str(runs), "--", floor, tree],
                         check=True, capture_output=True, text=True).stdout.split()
    wall, cpu = float(out[0]), float(out[4])
    print(f"floor (read + libyaml events, C, one thread): wall {wall * 1000:8.1f} ms   CPU {cpu * 1000:8.1f} ms"
          f"   → on {os.cpu_count()} cores at best {cpu * 1000 / (os.cpu_count() or 1):8.1f} ms")


def bench_startup(binary, work, dirs, files, runs):
    tree = make_tree(work, dirs, files)
    print(f"\n== start-up: {dirs} directories, {files} files (page cache warm; median of {runs}) ==")
    one_startup(binary, tree, work, "off")  # warm-up
    floor_of_tree(tree, work, runs)
    # check, cold: no verdicts kept from an earlier start (a first start); warm: a restart, with the
    # verdicts the previous start kept (every file unchanged since).
    warm = os.path.join(work, "xdg-cache-warm")
    shutil.rmtree(warm, ignore_errors=True)
    one_startup(binary, tree, work, "check", cache=warm)
    for policy, cache, label in [("off", None, "off       "), ("check", None, "check cold"), ("check", warm, "check warm")]:
        readies, dones, hwms = [], [], []
        for _ in range(runs):
            ready, done, hwm, _, code, tail = one_startup(binary, tree, work, policy, cache=cache)
            if code != 0:
                print(f"  exit {code}:\n{tail[-1500:]}")
            readies.append(ready)
            if done is not None:
                dones.append(done)
            hwms.append(int(hwm.split()[0]))
        line = f"--startup {label}: spawn → ready {statistics.median(readies):8.1f} ms"
        if dones:
            line += f"   spawn → start-up check done {statistics.median(dones):8.1f} ms"
        line += f"   VmHWM {statistics.median(hwms) / 1024:6.1f} MB"
        print(line)


def bench_idle(binary, work, dirs, files, seconds):
    tree = make_tree(work, dirs, files)
    print(f"\n== idle: {seconds} s with nothing happening, watching {dirs} directories ==")
    _, _, _, idle, code, _ = one_startup(binary, tree, work, "off", idle_seconds=seconds)
    switches, perf = idle
    print(f"context switches of all threads over {seconds} s (voluntary + involuntary): {switches}")
    if perf:
        for line in perf:
            fields = line.split(",")
            value = fields[0]
            if value == "<not counted>":
                value = "0 (<not counted>: no thread of the process was scheduled during the window)"
            print(f"perf stat -p PID, {fields[2] if len(fields) > 2 else ''}: {value}")


def make_burst_source(work, count, dirs):
    source = os.path.join(work, f"burst-source-{count}-{dirs}")
    marker = os.path.join(source, ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(source, ignore_errors=True)
        rng = random.Random(11)
        for i in range(count):
            folder = os.path.join(source, f"f{i % dirs:02d}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"TAND-{i:05d}.yaml"), "w") as f:
                f.write(spec(rng, i, messy=True))
        open(marker, "w").close()
    return source


def copy_tree(source, destination):
    """cp -r, as a checkout or a copy would write the files; returns (start ns, end ns)."""
    t0 = time.monotonic_ns()
    subprocess.run(["cp", "-r", source, destination], check=True)
    return t0, time.monotonic_ns()


def one_burst(binary, work, source, count, name):
    """Seconds from the start of the copy until every copied spec was reported normalized."""
    root = os.path.join(work, name)
    specs = os.path.join(root, ".tandemonium", "specs")
    os.makedirs(specs)
    events = os.path.join(root, "events.jsonl")
    open(events, "w").close()
    log = os.path.join(root, "watch.log")
    with open(log, "w") as err:
        proc = subprocess.Popen([binary, "watch", "--startup", "off", "--events", events], cwd=root,
                                stderr=err, stdout=subprocess.DEVNULL)
    wait_for_line(log, "ready:", proc, 30)
    target = os.path.join(specs, "copied")
    t0, copied = copy_tree(source, target)
    normalized, other, offset, buffer = set(), {}, 0, b""
    done = None
    deadline = time.monotonic() + 300
    with open(events, "rb") as f:
        while time.monotonic() < deadline:
            chunk = f.read()
            now = time.monotonic_ns()
            if chunk:
                buffer += chunk
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    obj = json.loads(line)
                    if obj.get("action") == "normalized":
                        normalized.add(obj["path"])
                    else:
                        other[obj.get("action")] = other.get(obj.get("action"), 0) + 1
                if len(normalized) >= count:
                    done = now
                    break
            else:
                if proc.poll() is not None:
                    break
                time.sleep(0.002)
    code = stop(proc)
    with open(log) as f:
        errors = [l for l in f if " error " in l]
    if done is None:
        raise SystemExit(f"burst: only {len(normalized)} of {count} normalized (other events {other}, exit {code}); "
                         f"log errors: {errors[:3]}")
    if other or errors or code != 0:
        print(f"  note ({binary}): other events {other}, {len(errors)} error lines, exit {code}")
    return (done - t0) / 1e9, (copied - t0) / 1e9


def one_fmt(binary, work, source, name):
    tree = os.path.join(work, name)
    subprocess.run(["sync"], check=True)
    # Freshly copied, not yet written back: as the watcher finds the copied files (and as after a checkout).
    subprocess.run(["cp", "-r", source, tree], check=True)
    t0 = time.monotonic_ns()
    r = subprocess.run([binary, "fmt", tree], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = (time.monotonic_ns() - t0) / 1e9
    if r.returncode not in (0, 1):
        raise SystemExit(f"fmt exited {r.returncode}: {r.stderr.decode()[-1000:]}")
    return took


def bench_burst(binary, work, count, dirs, runs, baseline=None):
    source = make_burst_source(work, count, dirs)
    print(f"\n== burst: {count} messy specs in {dirs} folders copied (cp -r) into a watched tree; "
          f"median of {runs}, alternating with fmt ==")
    # Every tree goes to a fresh directory and all are removed at the end: on ext4 without a journal,
    # inodes freed in the last minutes slow down every allocation near them, so removing one run's
    # tree would slow down whatever is measured next.
    scratch = os.path.join(work, "burst-runs")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    bursts, copies, fmts, plain, baselines = [], [], [], [], []
    for run in range(runs):
        subprocess.run(["sync"], check=True)
        burst, copy = one_burst(binary, scratch, source, count, f"watch-{run}")
        bursts.append(burst)
        copies.append(copy)
        if baseline:
            subprocess.run(["sync"], check=True)
            baselines.append(one_burst(baseline, scratch, source, count, f"baseline-{run}")[0])
        fmts.append(one_fmt(binary, scratch, source, f"fmt-{run}"))
        subprocess.run(["sync"], check=True)
        t0, t1 = copy_tree(source, os.path.join(scratch, f"copy-{run}"))
        plain.append((t1 - t0) / 1e9)
    shutil.rmtree(scratch, ignore_errors=True)
    med = statistics.median
    print(f"watch: copy start → all {count} reported normalized   median {med(bursts):6.2f} s  "
          f"(min {min(bursts):.2f}, max {max(bursts):.2f})   {count / med(bursts):6.0f} files/s")
    print(f"  of which cp -r into the watched tree                  median {med(copies):6.2f} s")
    print(f"specsync fmt on the same files (spawn → exit)          median {med(fmts):6.2f} s  "
          f"(min {min(fmts):.2f}, max {max(fmts):.2f})   {count / med(fmts):6.0f} files/s")
    print(f"cp -r alone, unwatched                                 median {med(plain):6.2f} s")
    print(f"watch burst / fmt: {med(bursts) / med(fmts):.2f}x (medians; per run: "
          + ", ".join(f"{b / f:.2f}" for b, f in zip(bursts, fmts)) + ")")
    if baselines:
        print(f"baseline {baseline}: copy start → all normalized   median {med(baselines):6.2f} s  "
              f"(min {min(baselines):.2f}, max {max(baselines):.2f}); / fmt: {med(baselines) / med(fmts):.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--saves", type=int, default=300)
    ap.add_argument("--dirs", type=int, default=10000)
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle", type=int, default=5)
    ap.add_argument("--burst", type=int, default=8000)
    ap.add_argument("--burst-dirs", type=int, default=40)
    ap.add_argument("--baseline")
    ap.add_argument("--only")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    only = set(a.only.split(",")) if a.only else None
    if only is None or "latency" in only:
        bench_latency(a.bin, a.work, a.saves, a.baseline)
    if only is None or "burst" in only:
        bench_burst(a.bin, a.work, a.burst, a.burst_dirs, a.runs, a.baseline)
    if only is None or "startup" in only:
        bench_startup(a.bin, a.work, a.dirs, a.files, a.runs)
    if only is None or "idle" in only:
        bench_idle(a.bin, a.work, a.dirs, a.files, a.idle)


if __name__ == "__main__":
    main()
