#!/usr/bin/env python3
"""Nudge side by side with the baseline of ../shared/bench, in one run.

    benchmarks/baseline/run.sh --scale S|M|L [--seed 42] [--repeat 5] [--work /tmp/nudge-bench]
                               [--data DIR] [--json FILE] [--build DIR | --bin FILE] [--huge-pages]

Steps (each a separate process, so peak memory is measured per process):
  1. data: gen.py --scale X --seed N --out WORK/data/X-seedN (cached; --data DIR reuses a directory)
  2. build nudge_bench_baseline (Release, in --build, default REPO/build-bench) unless --bin is given
  3. load.sh DATA WORK/db/X-seedN.baseline.db   -- timed: the baseline's CSV import (sqlite3 CLI)
  4. bench_sql.py --db ... --warm R --json       -- the eight rules as hand-written SQL on SQLite
  5. baseline_py.py --data ... --repeat R --json -- the same in plain Python
  6. nudge_bench_baseline --data ... --repeat R --json
Then prints ONE table (medians, minimums in parentheses, ratios) and checks that
every implementation gives the same result signatures (common.signature, compared
as check.py does). Exit status: 0 when they match, 1 when a rule differs, 2 when
a step failed. The scripts of the baseline are run where they live, never copied.
Python 3 standard library only.
"""
import argparse, datetime, json, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RULES = ["R1_forgotten", "R2_release", "R3_churned", "R4_unpaid", "R5_debtor",
         "R6_stage_sla", "R7_dead_deal", "R8_no_next_step", "forecast"]
CSVS = ["managers", "clients", "activities", "tasks", "deals", "invoices"]
INGEST_GOAL = 2e6  # events per second on one core (issue 7)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class StepFailed(Exception):
    pass


# Environment of the measured steps (every implementation alike); --huge-pages adds to it.
STEP_ENV = dict(os.environ)
UNMEASURED = {"archive", "configure", "build"}
HUGE_PAGES = "glibc.malloc.hugetlb=1"


def run(name, argv, work, cwd=None):
    """Runs argv with its output in WORK/logs/NAME.log; returns (wall seconds, peak RSS in KiB).
    The peak is the process's own (wait4), including the children it waited for."""
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    path = os.path.join(work, "logs", name + ".log")
    log(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(argv)}")
    with open(path, "w") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                             env=None if name in UNMEASURED else STEP_ENV)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(path) as f:
            tail = f.read()[-3000:]
        raise StepFailed(f"{name} failed (exit {p.returncode}); log {path}:\n{tail}")
    log(f"           {wall:.2f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MiB")
    return wall, ru.ru_maxrss


def ensure_data(a, bench):
    if a.data:
        d = os.path.abspath(a.data)
        missing = [t for t in CSVS if not os.path.exists(os.path.join(d, t + ".csv"))]
        if missing:
            raise StepFailed(f"--data {d}: missing {', '.join(t + '.csv' for t in missing)}")
        return d, None
    d = os.path.join(a.work, "data", f"{a.scale}-seed{a.seed}")
    marker = os.path.join(d, ".complete")
    if os.path.exists(marker):
        log(f"data: {d} (cached)")
        return d, None
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    wall, _ = run(f"gen_{a.scale}", [sys.executable, "gen.py", "--scale", a.scale, "--seed", str(a.seed),
                                     "--out", d], a.work, cwd=bench)
    open(marker, "w").write(f"gen.py --scale {a.scale} --seed {a.seed}\n")
    return d, wall


def ensure_binary(a):
    if a.bin:
        return os.path.abspath(a.bin)
    src, build = REPO, os.path.abspath(a.build)
    if a.commit:
        # A clean snapshot of one commit (git archive: the working tree is not touched), built on its own.
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=10", a.commit], capture_output=True,
                             text=True, check=True).stdout.strip()
        a.commit_rev = rev
        src = os.path.join(a.work, "src", rev)
        build = os.path.join(a.work, "build", rev)
        if not os.path.exists(os.path.join(src, "CMakeLists.txt")):
            os.makedirs(src, exist_ok=True)
            run("archive", ["sh", "-c", f"git -C '{REPO}' archive {rev} | tar -x -C '{src}'"], a.work)
            # the snapshot's tests/support/baseline.hpp is used; the baseline scripts stay where they are
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        run("configure", ["cmake", "-S", src, "-B", build, *gen, "-DCMAKE_BUILD_TYPE=Release",
                          "-DNUDGE_BUILD_TESTS=OFF", "-DNUDGE_BUILD_EXAMPLES=OFF",
                          "-DNUDGE_BUILD_BENCHMARKS=ON"], a.work)
    run("build", ["cmake", "--build", build, "--target", "nudge_bench_baseline", "-j2"], a.work)
    return os.path.join(build, "benchmarks", "baseline", "nudge_bench_baseline")


def git_info():
    def git(*args):
        try:
            return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    # Only changes to what is measured count as "dirty" (others may be editing docs or tests).
    dirty = git("status", "--porcelain", "--", "include", "src", "tests/support", "benchmarks/baseline")
    return {"commit": git("rev-parse", "--short=10", "HEAD"), "dirty": bool(dirty),
            "dirty_files": dirty.splitlines(),
            # the last commit that changed what is measured (the engine, the adapters, this benchmark)
            "engine_commit": git("log", "-1", "--format=%h", "--", "include", "src")}


def machine():
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_bytes": mem, "loadavg_start": os.getloadavg()}


# ---- signatures (check.py's comparison: integers exactly, float sums within 0.01 per row) ----
def same_sig(x, y):
    if x is None or y is None or len(x) != len(y):
        return False
    return all(abs(u - v) <= (0.01 * x[0] if isinstance(u, float) or isinstance(v, float) else 0)
               for u, v in zip(x, y))


def compare_sigs(ref_name, ref, others):
    """others: {name: sigs}. Returns a list of (rule, name, got, want) that differ."""
    bad = []
    for name, sigs in others.items():
        if sigs is None:
            continue
        for rule in RULES:
            if not same_sig(ref.get(rule), sigs.get(rule)):
                bad.append((rule, name, sigs.get(rule), ref.get(rule)))
    return bad


# ---- formatting ----
def fmt_s(s):
    if s is None:
        return "n/a"
    if s < 0.01:
        return f"{s * 1e3:.2f} ms"
    if s < 10:
        return f"{s * 1e3:,.0f} ms" if s < 1 else f"{s:.2f} s"
    return f"{s:,.1f} s"


def fmt_med_min(med, mn):
    return "n/a" if med is None else f"{fmt_s(med)} ({fmt_s(mn)})"


def fmt_rate(r, unit):
    if r is None:
        return "n/a"
    return f"{r / 1e6:.2f} M {unit}/s" if r >= 1e6 else f"{r / 1e3:,.0f} k {unit}/s"


def fmt_mib(kb):
    return "n/a" if kb is None else f"{kb / 1024:,.0f} MiB"


def speed(nudge_s, base_s):
    """How Nudge's time compares with the baseline's."""
    if not nudge_s or not base_s:
        return "n/a"
    r = base_s / nudge_s
    return f"{r:.1f}x faster" if r >= 1 else f"{1 / r:.1f}x slower"


def timing(nudge, section, name):
    t = nudge.get("sections", {}).get(section, {}).get("timings", {}).get(name)
    return t  # None when absent or a hook not filled yet


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=["S", "M", "L"], default="S")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median, min)")
    ap.add_argument("--work", default=os.environ.get("NUDGE_BENCH_WORK", "/tmp/nudge-bench"),
                    help="data, databases, logs and results (outside the repository)")
    ap.add_argument("--data", help="an existing gen.py output directory for this scale and seed")
    ap.add_argument("--bench-dir", default=os.environ.get("NUDGE_BASELINE_DIR",
                                                          os.path.join(REPO, "..", "shared", "bench")))
    ap.add_argument("--build", default=os.path.join(REPO, "build-bench"), help="build directory")
    ap.add_argument("--bin", help="a built nudge_bench_baseline (skips the build)")
    ap.add_argument("--commit", help="build a clean snapshot of this commit (git archive) in WORK instead of the "
                                     "working tree, which may hold others' unfinished changes")
    ap.add_argument("--events", type=int, default=0, help="ingest events per timed round (default: 4%% of clients)")
    ap.add_argument("--skip-python", action="store_true", help="skip baseline_py.py (at L it needs ~4 GB)")
    ap.add_argument("--json", help="write every figure here (default WORK/results/compare-X-seedN.json)")
    ap.add_argument("--huge-pages", action="store_true",
                    help=f"run every measured step (the baseline's too) with GLIBC_TUNABLES={HUGE_PAGES}: "
                         "malloc asks for transparent huge pages (fewer TLB misses on big data)")
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    if a.huge_pages:
        STEP_ENV["GLIBC_TUNABLES"] = ":".join(filter(None, [STEP_ENV.get("GLIBC_TUNABLES"), HUGE_PAGES]))
    bench = os.path.abspath(a.bench_dir)
    if not os.path.exists(os.path.join(bench, "bench_sql.py")):
        log(f"no baseline at {bench} (--bench-dir)")
        return 2
    tag = f"{a.scale}-seed{a.seed}"
    results = os.path.join(a.work, "results")
    os.makedirs(results, exist_ok=True)
    os.makedirs(os.path.join(a.work, "db"), exist_ok=True)
    meta = {"scale": a.scale, "seed": a.seed, "repeat": a.repeat, "huge_pages": a.huge_pages,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **git_info(), "machine": machine()}
    try:
        data, _ = ensure_data(a, bench)
        meta["data"] = data
        binary = ensure_binary(a)
        if a.commit:  # what was measured is that commit, not the working tree
            eng = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h", a.commit_rev, "--", "include", "src"],
                                 capture_output=True, text=True).stdout.strip()
            meta.update(commit=a.commit_rev, dirty=False, dirty_files=[], engine_commit=eng)
        meta["binary"] = {"path": binary, "built": datetime.datetime.fromtimestamp(
            os.path.getmtime(binary), datetime.timezone.utc).isoformat(timespec="seconds")}
        base_db = os.path.join(a.work, "db", f"{tag}.baseline.db")
        load_s, load_rss = run(f"load_sh_{tag}", ["bash", os.path.join(bench, "load.sh"), data, base_db], a.work)
        sql_json = os.path.join(results, f"sql_{tag}.json")
        _, sql_rss = run(f"bench_sql_{tag}", [sys.executable, os.path.join(bench, "bench_sql.py"), "--db", base_db,
                                              "--warm", str(a.repeat), "--json", sql_json], a.work)
        sql = json.load(open(sql_json))
        py = None
        if not a.skip_python:
            py_json = os.path.join(results, f"py_{tag}.json")
            py_wall, py_rss = run(f"baseline_py_{tag}", [sys.executable, os.path.join(bench, "baseline_py.py"),
                                                         "--data", data, "--repeat", str(a.repeat),
                                                         "--json", py_json], a.work)
            py = json.load(open(py_json))
        nudge_json = os.path.join(results, f"nudge_{tag}.json")
        argv = [binary, "--data", data, "--db", os.path.join(a.work, "db", f"{tag}.nudge.db"),
                "--repeat", str(a.repeat), "--warmup", "1", "--seed", str(a.seed), "--json", nudge_json]
        if a.events:
            argv += ["--events", str(a.events)]
        try:
            run(f"nudge_{tag}", argv, a.work)
        except StepFailed as e:
            if not os.path.exists(nudge_json):  # a signature mismatch still writes the JSON
                raise
            log(str(e).splitlines()[0])
        nudge = json.load(open(nudge_json))
    except StepFailed as e:
        log(str(e))
        return 2
    meta["machine"]["loadavg_end"] = os.getloadavg()

    # ---- figures ----
    sql_med, sql_min = statistics.median(sql["warm_total"]), min(sql["warm_total"])
    sql_cold = sum(sql["cold"].values())
    py_tot = [sum(r.values()) for r in py["runs"]] if py else None
    py_med, py_min = (statistics.median(py_tot), min(py_tot)) if py else (None, None)
    sections = nudge.get("sections", {})
    errors = {k: v["error"] for k, v in sections.items() if "error" in v}

    def med(section, name):
        t = timing(nudge, section, name)
        return (t["median_s"], t["min_s"]) if t else (None, None)

    plan_m = med("memory", "full_plan_memory")
    plan_s = med("sqlite_plan", "full_plan_sqlite")
    plan_s_cold = (timing(nudge, "sqlite_plan", "full_plan_sqlite") or {}).get("first_s")
    evaluate = med("memory", "evaluate")
    evaluate_1 = med("memory", "evaluate_1_thread")
    plan_m_1 = med("memory", "full_plan_memory_1_thread")
    evaluate_s = med("sqlite_plan", "evaluate_sqlite")
    apply_s = timing(nudge, "sqlite_plan", "apply_sqlite")
    incremental = med("memory", "incremental_plan")
    incremental_1 = med("memory", "incremental_plan_1_thread")
    eval_after = med("memory", "evaluate_after_day")
    watch_reset = med("memory", "watch_reset")
    watch_reset_1 = med("memory", "watch_reset_1_thread")
    inc_ok = sections.get("memory", {}).get("incremental_matches_full")
    inc_ok_1 = sections.get("memory", {}).get("incremental_matches_full_1_thread")
    imp_sql = timing(nudge, "sqlite_import", "import_csv_sqlite")
    imp_mem = timing(nudge, "memory", "import_csv_memory")
    ing_one = timing(nudge, "memory", "ingest_per_event")
    ing_bat = timing(nudge, "memory", "ingest_batched")
    rows = sections.get("memory", {}).get("rows", {}).get("total") or \
        sections.get("sqlite_import", {}).get("rows", {}).get("total")
    rss_mem = sections.get("memory", {}).get("peak_rss_kb")
    rss_sqlplan = sections.get("sqlite_plan", {}).get("peak_rss_kb")
    rss_sqlimp = sections.get("sqlite_import", {}).get("peak_rss_kb")

    figures = {
        "full_plan_memory": {"nudge_median_s": plan_m[0], "nudge_min_s": plan_m[1],
                             "sql_median_s": sql_med, "sql_min_s": sql_min,
                             "python_median_s": py_med, "python_min_s": py_min,
                             "speedup_vs_sql": sql_med / plan_m[0] if plan_m[0] else None,
                             "speedup_vs_python": py_med / plan_m[0] if plan_m[0] and py_med else None,
                             "threads": 2, "one_thread_median_s": plan_m_1[0]},
        "full_plan_sqlite": {"nudge_median_s": plan_s[0], "nudge_min_s": plan_s[1], "nudge_cold_s": plan_s_cold,
                             "sql_median_s": sql_med, "sql_min_s": sql_min, "sql_cold_s": sql_cold,
                             "speedup_vs_sql": sql_med / plan_s[0] if plan_s[0] else None},
        "apply_sqlite": apply_s and {k: apply_s.get(k) for k in
                                     ("median_s", "cpu_median_s", "actions", "applied", "actions_per_s")},
        # Hooks: null until nudge_bench_baseline records them.
        "evaluate": None if evaluate[0] is None else
        {"nudge_median_s": evaluate[0], "nudge_min_s": evaluate[1], "sql_median_s": sql_med,
         "one_thread_median_s": evaluate_1[0], "sqlite_median_s": evaluate_s[0],
         "speedup_vs_sql": sql_med / evaluate[0] if evaluate[0] else None,
         "speedup_vs_python": py_med / evaluate[0] if evaluate[0] and py_med else None},
        "incremental_plan": None if incremental[0] is None else
        {"nudge_median_s": incremental[0], "nudge_min_s": incremental[1], "full_plan_median_s": plan_m[0],
         "full_evaluate_same_moment_median_s": eval_after[0], "watch_reset_s": watch_reset[0], "threads": 2,
         "one_thread_median_s": incremental_1[0], "one_thread_watch_reset_s": watch_reset_1[0],
         "matches_full_evaluate": inc_ok, "one_thread_matches_full_evaluate": inc_ok_1},
        "import_csv_sqlite": {"nudge_s": imp_sql and imp_sql["median_s"], "load_sh_s": load_s, "rows": rows,
                              "speedup_vs_load_sh": load_s / imp_sql["median_s"] if imp_sql else None},
        "import_csv_memory": {"nudge_s": imp_mem and imp_mem["median_s"],
                              "rows_per_s": rows / imp_mem["median_s"] if imp_mem and rows else None,
                              "python_load_s": py and py["load"]},
        "ingest_per_event": ing_one and {k: ing_one.get(k) for k in
                                         ("events", "events_per_s", "median_s", "min_s", "store", "units_of_work")},
        "ingest_batched": ing_bat and {k: ing_bat.get(k) for k in
                                       ("events", "events_per_s", "median_s", "min_s", "store", "batch",
                                        "units_of_work")},
        "peak_rss": {"nudge_memory_kb": rss_mem,
                     "nudge_memory_after_import_kb": sections.get("memory", {}).get("peak_rss_after_import_kb"),
                     "nudge_memory_after_evaluate_kb": sections.get("memory", {}).get("peak_rss_after_evaluate_kb"), "nudge_sqlite_plan_kb": rss_sqlplan,
                     "nudge_sqlite_import_kb": rss_sqlimp, "python_kb": py and py_rss, "sql_kb": sql_rss,
                     "load_sh_kb": load_rss},
    }

    # ---- signatures: the hand-written SQL is the reference ----
    others = {"python": py and py["sigs"], "nudge_memory": sections.get("memory", {}).get("sigs"),
              "nudge_sqlite": sections.get("sqlite_plan", {}).get("sigs"),
              "nudge_evaluate_memory": sections.get("memory", {}).get("sigs_evaluate"),
              "nudge_evaluate_sqlite": sections.get("sqlite_plan", {}).get("sigs_evaluate")}
    missing = [k for k, v in others.items() if v is None and not (k == "python" and a.skip_python)]
    bad = compare_sigs("sql", sql["sigs"], others)

    # ---- the table ----
    n = a.repeat
    W = (40, 22, 46)
    lines = []
    def row(fig, nud, base, ratio):
        lines.append(f"{fig:<{W[0]}}{nud:>{W[1]}}   {base:<{W[2]}}{ratio}")
    c = f"{meta['commit']} (include/ and src/ last changed in {meta['engine_commit']}" + \
        (", + uncommitted changes)" if meta["dirty"] else ")")
    if a.bin:
        c += f"; --bin built {meta['binary']['built']}"
    la = meta["machine"]
    lines.append(f"Nudge vs baseline -- scale {a.scale} ({rows or '?':,} rows), seed {a.seed}, median of {n} "
                 f"(min), {meta['date'][:10]}, commit {c}")
    lines.append(f"machine: {la['cores']} cores, {la['memory_bytes'] / 2**30:.0f} GiB, load average "
                 f"{la['loadavg_start'][0]:.1f} at start, {la['loadavg_end'][0]:.1f} at end"
                 + (f"; every step with GLIBC_TUNABLES={STEP_ENV['GLIBC_TUNABLES']}" if a.huge_pages else ""))
    row("figure", "Nudge", "baseline", "Nudge vs baseline")
    lines.append("-" * (sum(W) + 20))
    row("full plan (R1..R8 + forecast), memory, 2 threads", fmt_med_min(*plan_m),
        f"SQL on SQLite {fmt_med_min(sql_med, sql_min)}", speed(plan_m[0], sql_med))
    if py:
        row("", "", f"plain Python {fmt_med_min(py_med, py_min)}", speed(plan_m[0], py_med))
    if plan_m_1[0] is not None:
        row("full plan, memory, 1 thread", fmt_med_min(*plan_m_1), f"SQL on SQLite {fmt_s(sql_med)}",
            speed(plan_m_1[0], sql_med))
    row("full plan, from SQLite file, 2 threads", fmt_med_min(*plan_s), f"SQL on SQLite {fmt_med_min(sql_med, sql_min)}",
        speed(plan_s[0], sql_med))
    row("  first pass, page cache evicted", fmt_s(plan_s_cold), f"SQL cold pass {fmt_s(sql_cold)}",
        speed(plan_s_cold, sql_cold))
    if apply_s:
        row("apply the plan to the SQLite file", fmt_s(apply_s["median_s"]),
            f"{apply_s.get('applied', 0):,} actions (no baseline)", fmt_rate(apply_s.get("actions_per_s"), "actions"))
    row("evaluate (no actions), memory, 2 threads", fmt_med_min(*evaluate), f"SQL on SQLite {fmt_s(sql_med)}",
        speed(evaluate[0], sql_med))
    if py:
        row("", "", f"plain Python {fmt_s(py_med)}", speed(evaluate[0], py_med))
    row("evaluate, memory, 1 thread", fmt_med_min(*evaluate_1), f"SQL on SQLite {fmt_s(sql_med)}",
        speed(evaluate_1[0], sql_med))
    row("evaluate, from SQLite file, 2 threads", fmt_med_min(*evaluate_s), f"SQL on SQLite {fmt_s(sql_med)}",
        speed(evaluate_s[0], sql_med))
    row("incremental evaluate after a day (Watch), 2 threads", fmt_med_min(*incremental),
        f"Nudge full evaluate {fmt_s(eval_after[0])}", speed(incremental[0], eval_after[0]))
    row("", "", f"Nudge full plan {fmt_s(plan_m[0])}", speed(incremental[0], plan_m[0]))
    row("", "", f"SQL on SQLite {fmt_s(sql_med)}", speed(incremental[0], sql_med))
    row("  Watch set-up (one full pass)", fmt_s(watch_reset[0]), "", "")
    row("incremental evaluate, 1 thread", fmt_med_min(*incremental_1),
        f"Nudge full evaluate {fmt_s(eval_after[0])}", speed(incremental_1[0], eval_after[0]))
    row("  Watch set-up, 1 thread", fmt_s(watch_reset_1[0]), "", "")
    row("CSV import into SQLite", fmt_s(imp_sql and imp_sql["median_s"]),
        f"load.sh (sqlite3 .import + indexes) {fmt_s(load_s)}", speed(imp_sql and imp_sql["median_s"], load_s))
    row("CSV import into memory", fmt_s(imp_mem and imp_mem["median_s"]),
        f"Python CSV load {fmt_s(py and py['load'])}" if py else "", speed(imp_mem and imp_mem["median_s"],
                                                                          py and py["load"]))
    if imp_mem and rows:
        row("", fmt_rate(rows / imp_mem["median_s"], "rows"),
            f"load.sh {fmt_rate(rows / load_s, 'rows')}", "")
    for label, t in (("ingest, 1 unit of work per event", ing_one),
                     (f"ingest, 1 unit of work per {ing_bat and ing_bat.get('batch')}", ing_bat)):
        rate = t and t.get("events_per_s")
        row(label, fmt_rate(rate, "ev"), f"goal {fmt_rate(INGEST_GOAL, 'ev')}",
            f"{rate / INGEST_GOAL:.2f}x the goal" if rate else "n/a")
    if ing_one:
        lines.append(f"{'':<{W[0]}}  (new activities into MemoryStorage, {ing_one['events']:,} per round: "
                     f"a simulated day touching 4% of clients, at least 1,000)")
    for label, rss in (("import + evaluate", sections.get("memory", {}).get("peak_rss_after_evaluate_kb")),
                       ("import + plan", rss_mem)):
        row(f"peak RSS, memory ({label})", fmt_mib(rss), f"plain Python {fmt_mib(py and py_rss)}" if py else "",
            f"{rss / py_rss:.2f}x Python's" if rss and py else "n/a")
    row("peak RSS, plan from SQLite", fmt_mib(rss_sqlplan), f"bench_sql.py {fmt_mib(sql_rss)}",
        f"{rss_sqlplan / sql_rss:.2f}x" if rss_sqlplan else "n/a")
    row("peak RSS, CSV import into SQLite", fmt_mib(rss_sqlimp), f"load.sh (sqlite3) {fmt_mib(load_rss)}",
        f"{rss_sqlimp / load_rss:.2f}x" if rss_sqlimp else "n/a")
    cpu = [(label, (timing(nudge, sec, name) or {}).get("cpu_median_s")) for label, sec, name in
           (("plan in memory", "memory", "full_plan_memory"), ("plan from SQLite", "sqlite_plan", "full_plan_sqlite"),
            ("import into SQLite", "sqlite_import", "import_csv_sqlite"))]
    lines.append("Nudge's own CPU time (median; the wall times above include waiting for a shared core): "
                 + ", ".join(f"{label} {fmt_s(c)}" for label, c in cpu if c is not None))
    rss_imp = sections.get("memory", {}).get("peak_rss_after_import_kb")
    if rss_imp:
        lines.append(f"peak RSS in memory after the import alone (the store): {fmt_mib(rss_imp)}")
    lines.append("-" * (sum(W) + 20))
    if bad or missing or errors:
        for rule, who, got, want in bad:
            lines.append(f"signatures: {rule} differs: {who} {got} vs SQL {want}")
        for who in missing:
            lines.append(f"signatures: {who} missing")
        for sec, msg in errors.items():
            lines.append(f"nudge {sec}: error: {msg}")
    else:
        who = ["SQL"] + (["Python"] if py else []) + ["Nudge plan in memory", "Nudge plan from SQLite",
                                                    "Nudge evaluate in memory", "Nudge evaluate from SQLite"]
        lines.append(f"signatures: match ({', '.join(who)}; {len(RULES)} rules)")
    if inc_ok is not None:
        lines.append("incremental: the Watch's hits " + ("equal" if inc_ok else "DIFFER FROM") +
                     " a full evaluation at the same moment" +
                     ("" if inc_ok_1 is None else
                      ", on one thread too" if inc_ok_1 else "; on one thread they DIFFER"))
    print("\n".join(lines))

    out = a.json or os.path.join(results, f"compare-{tag}.json")
    with open(out, "w") as f:
        json.dump({**meta, "figures": figures,
                   "signatures": {"match": not bad and not missing and not errors,
                                  "differ": [{"rule": r, "who": w, "got": g, "sql": s} for r, w, g, s in bad],
                                  "sql": sql["sigs"]},
                   "table": lines, "raw": {"sql": sql, "python": py, "nudge": nudge}}, f, indent=1)
    log(f"results: {out}")
    return 0 if not bad and not missing and not errors and inc_ok is not False and inc_ok_1 is not False else 1


if __name__ == "__main__":
    sys.exit(main())
