#!/usr/bin/python3
"""proc_stats.py -- what a server process tree costs, from /proc (stdlib only).

  proc_stats.py cpu PID        user+system CPU seconds of PID and all its descendants,
                               every thread included (NSD forks its workers; the others
                               are one process with threads)
  proc_stats.py threads PID    the same per thread: "tid name seconds" lines
  proc_stats.py rss PID        VmRSS of the tree, KiB
  proc_stats.py pss PID        Pss of the tree, KiB (shared pages counted once)
  proc_stats.py pin PID CPUS   set the CPU affinity of every thread in the tree (e.g. "0");
                               servers that place their own workers on CPUs are overridden
Also imported by measure.py.
"""
import os
import sys

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(path):
    with open(path) as f:
        data = f.read()
    # comm may contain spaces: split after the closing parenthesis
    return data[data.rindex(")") + 2:].split()


def tree(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(f"/proc/{entry}/stat")[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid):
    total = 0
    for p in tree(pid):
        try:
            f = _stat_fields(f"/proc/{p}/stat")
        except OSError:
            continue
        total += int(f[11]) + int(f[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / TICK


def thread_cpu(pid):
    """{tid: (name, CPU seconds)} of every thread in the tree: which worker did the work"""
    out = {}
    for p in tree(pid):
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/comm") as f:
                    name = f.read().strip()
                fields = _stat_fields(f"/proc/{p}/task/{tid}/stat")
            except OSError:
                continue
            out[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def rss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def pss_kib(pid):
    """proportional set size of the tree: unlike VmRSS, pages that forked workers share
    (NSD) are counted once"""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def pin(pid, cpus):
    cpuset = set()
    for part in cpus.split(","):
        lo, _, hi = part.partition("-")
        cpuset.update(range(int(lo), int(hi or lo) + 1))
    for p in tree(pid):
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                os.sched_setaffinity(int(tid), cpuset)
        except OSError:
            continue


if __name__ == "__main__":
    cmd, pid = sys.argv[1], int(sys.argv[2])
    if cmd == "cpu":
        print(f"{cpu_seconds(pid):.2f}")
    elif cmd == "threads":
        for tid, (name, sec) in sorted(thread_cpu(pid).items()):
            print(tid, name, f"{sec:.2f}")
    elif cmd == "rss":
        print(rss_kib(pid))
    elif cmd == "pss":
        print(pss_kib(pid))
    elif cmd == "pin":
        pin(pid, sys.argv[3])
    else:
        sys.exit(f"unknown command {cmd}")
