#!/usr/bin/env python3
"""Bulk load from Python against the same load from C++.

Builds 100k clients + 1M activities as lists of tuples (not timed), loads them
into a MemoryStorage with Storage.bulk_load (one call, one unit of work,
converted in C++), and prints rows/s; then, for comparison, a sample loaded
one object at a time (nudge.Activity(...) + Transaction.add_activity), and
the C++ benchmark's figure when its binary is given:

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/python_bulk_load.py \
        [--clients 100000] [--activities 1000000] [--cpp build/benchmarks/bulk_load/nudge_bench_bulk_load]
"""

import argparse
import subprocess
import time
from datetime import datetime, timezone

import nudge

# The generator of benchmarks/bulk_load/bulk_load.cpp, line by line.
T0 = 1700000000
SPAN = 3 * 365 * 86400
SEGMENTS = ["smb", "mid", "enterprise", "retail", "public"]
KINDS = ["call_in", "call_out", "call_missed", "email", "meeting", "message", "note", "document"]


def managers_for(clients):
    return max(1, min(2000, clients // 200))


def rows(n_clients, n_activities):
    m = managers_for(n_clients)
    managers = [(i, f"manager {i}") for i in range(1, m + 1)]
    clients = [(i, f"client {i}", 1 + i % m, SEGMENTS[i % 5], "B2B" if i % 3 else "B2C", T0 + i)
               for i in range(1, n_clients + 1)]
    activities = [(j, 1 + (j * 7919) % n_clients, 1 + j % m, KINDS[j % 8], T0 + (j * 104729) % SPAN)
                  for j in range(1, n_activities + 1)]
    return managers, clients, activities


def per_object(n_clients, sample):
    """The slow way, for comparison: one Python object and one call per row."""
    store = nudge.MemoryStorage()
    managers, clients, activities = rows(n_clients, sample)
    store.bulk_load(managers=managers, clients=clients)
    kinds = {k: getattr(nudge.ActivityKind, k) for k in KINDS}
    start = time.process_time()
    with store.begin() as w:
        for (i, c, mgr, k, ts) in activities:
            w.add_activity(nudge.Activity(i, c, mgr, kinds[k], at=datetime.fromtimestamp(ts, timezone.utc)))
    return sample / (time.process_time() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--activities", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=100_000, help="rows loaded one object at a time")
    ap.add_argument("--cpp", help="path of nudge_bench_bulk_load, to run the C++ side too")
    args = ap.parse_args()

    managers, clients, activities = rows(args.clients, args.activities)
    total = len(managers) + len(clients) + len(activities)
    store = nudge.MemoryStorage()
    start, cpu_start = time.perf_counter(), time.process_time()
    counts = store.bulk_load(managers=managers, clients=clients, activities=activities)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    assert counts == {"managers": len(managers), "clients": len(clients), "deals": 0, "tasks": 0, "invoices": 0,
                      "activities": len(activities)}, counts
    # CPU time is the fair figure on a shared machine; wall time is printed too.
    print(f"Python bulk_load (tuples), one unit of work: {len(managers)} managers + {len(clients)} clients + "
          f"{len(activities)} activities: {cpu:.3f} s CPU ({took:.3f} s wall) = {total / cpu:,.0f} rows/s of CPU")
    print(f"Python one object per call (Activity + add_activity), {args.sample} activities: "
          f"{per_object(args.clients, args.sample):,.0f} rows/s of CPU")
    if args.cpp:
        print(subprocess.run([args.cpp, str(args.clients), str(args.activities)], check=True, capture_output=True,
                             text=True).stdout.strip())


if __name__ == "__main__":
    main()
