"""Tracker core figures: import, scan commit, status query, CLI start-up.

Run: python3 bench/bench_core.py [--rows 100000] [--events 1000000] [--runs 3] [--only import|cli]
Prints a table: median of several runs, and each figure against a baseline run in the same
process (the issue's targets are in the last column).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker import readiness, store  # noqa: E402
from tracker.plan import default_plan_path, load_plan  # noqa: E402
from tracker.scan import scan  # noqa: E402

KINDS = ["pass_ws", "mitid_ws", "printer", "kiosk", "laptop", "headset"]
STEPS = ["in_service", "installed", "packed", "arrived"]

BASELINE_IMPORT = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
conn.execute("CREATE TABLE assets (tag TEXT PRIMARY KEY, kind, name, serial, site, step,"
             " hostname, notes)")
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    conn.executemany("INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
conn.commit()
"""


def big_plan(path: Path, n_sites: int) -> Path:
    """The default plan plus `n_sites` extra library branches, each hosting loans."""
    text = default_plan_path().read_text(encoding="utf-8")
    extra = [
        f'\n[[sites]]\nid = "site{i:03d}"\nname = "Site {i}"\n'
        'functions = ["loans", "passports", "mitid", "self_service"]\n'
        for i in range(n_sites - 6)
    ]
    path.write_text(text + "".join(extra), encoding="utf-8")
    return path


def write_csv(path: Path, rows: int, sites: list[str]) -> None:
    rnd = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["tag", "kind", "name", "serial", "site", "step", "hostname", "notes"])
        for i in range(rows):
            kind = rnd.choice(KINDS)
            host = f"kiosk{i}.example.test" if kind == "kiosk" else ""
            w.writerow(
                [
                    f"BN-{i:06d}",
                    kind,
                    f"Asset {i} æøå",
                    f"SN{i:08d}",
                    rnd.choice(sites),
                    rnd.choice(STEPS[:2]),
                    host,
                    "",
                ]
            )


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def tracker_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "tracker"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tracker"]


def installed_env(tmp: Path) -> dict[str, str]:
    """The environment of a tracker as pip installs it: its modules compiled to bytecode once
    (a source checkout run under PYTHONDONTWRITEBYTECODE compiles them on every start, ~18 ms
    more) and the plan parsed once (`plan_cache`); a first, untimed run warms both."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    env["TRACKER_CACHE_DIR"] = str(tmp / "cache")
    (tmp / "cache").mkdir(exist_ok=True)  # a folder named there is used, never made
    return env


def bench_import(
    tmp: Path, plan_path: Path, csv_path: Path, runs: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) of `tracker import` into a new database, the same of the baseline):
    medians of `runs` interleaved runs after an untimed one of each."""
    env = installed_env(tmp)

    def ours():
        db = tmp / "imp.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        subprocess.run(
            [*tracker_cmd(), "--db", str(db), "--plan", str(plan_path), "import", str(csv_path)],
            check=True,
            capture_output=True,
            env=env,
        )

    def baseline():
        db = tmp / "base.db"
        db.unlink(missing_ok=True)
        argv = [sys.executable, "-c", BASELINE_IMPORT, str(csv_path), str(db)]
        subprocess.run(argv, check=True, env=env)

    times: dict[str, list[tuple[float, float]]] = {"ours": [], "base": []}
    for n in range(runs + 1):  # interleaved, so both see the same machine state
        for name, fn in (("base", baseline), ("ours", ours)):
            cpu = _children_cpu()
            t = time.perf_counter()
            fn()
            if n:
                times[name].append((time.perf_counter() - t, _children_cpu() - cpu))
    mine, base = (
        tuple(statistics.median(v[i] for v in times[name]) for i in (0, 1))
        for name in ("ours", "base")
    )
    return mine, base


def build_big_db(path: Path, plan, csv_path: Path, events: int) -> None:
    from tracker.inventory.importer import import_file

    db = store.open_db(path)
    result = import_file(db, plan, csv_path)
    assert result.ok, result.errors[:3]
    tags = [r[0] for r in db.execute("SELECT tag FROM assets")]
    sites = list(plan.sites)
    rnd = random.Random(2)
    at = store.now()
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
            " station) VALUES (?, ?, 'scan', ?, ?, 'in_service', ?, 'bench', 'bench')",
            (
                (at, rnd.choice(tags), rnd.choice(STEPS), rnd.choice(sites), rnd.choice(sites))
                for _ in range(events)
            ),
        )
    db.close()


def bench_scan(db_path: Path, plan, n: int) -> tuple[list[float], list[float]]:
    db = store.open_db(db_path)
    tags = [r[0] for r in db.execute("SELECT tag FROM assets LIMIT ?", [n])]
    # Steps no imported asset is in (they are in service or installed), so every scan writes.
    steps = ["packed", "arrived", "missing"]
    ours = []
    for i, tag in enumerate(tags):
        t = time.perf_counter()
        r = scan(db, plan, tag, site="hovedbibliotek", step=steps[i % 3], operator="b", station="b")
        ours.append(time.perf_counter() - t)
        assert r.outcome == "recorded"
    # Baseline: the bare durable commit of one small row, same file, same settings.
    db.execute("CREATE TABLE IF NOT EXISTS bench_commit (x)")
    base = []
    for i in range(n):
        t = time.perf_counter()
        with store.write(db):
            db.execute("INSERT INTO bench_commit VALUES (?)", [i])
        base.append(time.perf_counter() - t)
    db.close()
    return ours, base


def bench_status(db_path: Path, plan, runs: int) -> tuple[float, float]:
    db = store.open_db(db_path)
    ours = timed(lambda: readiness.compute(db, plan), runs)
    # Baseline: deriving each asset's place and step from the event log at query time.
    derive = (
        "SELECT e.site, a.kind, count(*) FROM events e JOIN assets a ON a.tag = e.tag"
        " WHERE e.id = (SELECT max(id) FROM events x WHERE x.tag = e.tag)"
        " AND e.step IN ('in_service', 'installed') GROUP BY e.site, a.kind"
    )
    base = timed(lambda: db.execute(derive).fetchall(), max(1, runs // 3))
    db.close()
    return statistics.median(ours), statistics.median(base)


def bench_cli_start(tmp: Path, db_path: Path, plan_path: Path, runs: int, rows: int) -> dict:
    """Whole `tracker` processes, interleaved with `python -c pass` in the same environment.

    As pip installs the tracker: its modules compiled to bytecode once (a source checkout run
    under PYTHONDONTWRITEBYTECODE compiles them on every start, ~18 ms more), and the plan
    parsed once (`plan_cache`); one untimed run of each warms both."""
    env = installed_env(tmp)
    tracker = [*tracker_cmd(), "--db", str(db_path), "--plan", str(plan_path)]
    # Tags bench_scan left in service, one per run: every known scan records an event.
    tags = (f"BN-{i:06d}" for i in range(rows - 1, 0, -1))
    commands = {
        "python": lambda: [sys.executable, "-c", "pass"],
        "status": lambda: [*tracker, "status"],
        "unknown": lambda: [*tracker, "scan", "NOPE", "--site", "raadhus", "--step", "packed"],
        "known": lambda: [
            *tracker,
            "scan",
            next(tags),
            "--site",
            "hovedbibliotek",
            "--step",
            "packed",
        ],
    }
    ok = {"python": (0,), "status": (0, 1), "unknown": (1,), "known": (0,)}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for n in range(runs + 1):
        for name, argv in commands.items():
            cpu = _children_cpu()
            t = time.perf_counter()
            done = subprocess.run(argv(), capture_output=True, env=env)
            elapsed = time.perf_counter() - t
            assert done.returncode in ok[name], (name, done.returncode, done.stderr[-300:])
            if n:  # the first round warms the bytecode and the plan cache
                times[name].append((elapsed, _children_cpu() - cpu))
    return {
        name: tuple(statistics.median(v[i] for v in values) for i in (0, 1))
        for name, values in times.items()
    }


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: less swayed than the wall clock by
    other work on a shared machine (but blind to waiting for the disk)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_cli(rows: list[tuple], tmp: Path, big: Path, plan_path: Path, args) -> None:
    cli = bench_cli_start(tmp, big, plan_path, max(5, args.runs), args.rows)
    py, py_cpu = cli["python"]
    for name, what in (
        ("status", "`tracker status` whole process"),
        ("unknown", "`tracker scan` whole process, an unknown code"),
        ("known", "`tracker scan` whole process, a tag recorded"),
    ):
        wall, cpu = cli[name]
        rows.append(
            (
                what,
                f"{wall * 1000:.0f} ms (CPU {cpu * 1000:.0f} ms)",
                f"python -c pass {py * 1000:.0f} ms (CPU {py_cpu * 1000:.0f} ms)",
                f"{wall / py:.1f}x",
                "",
            )
        )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scans", type=int, default=2000)
    ap.add_argument(
        "--only",
        choices=("import", "cli"),
        help="only the import figure (no event database to build), or only the whole processes",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        plan_path = big_plan(tmp / "plan.toml", args.sites)
        plan = load_plan(plan_path)
        csv_path = tmp / "inv.csv"
        write_csv(csv_path, args.rows, list(plan.sites))
        rows = []
        if args.only == "cli":
            big = tmp / "big.db"
            build_big_db(big, plan, csv_path, args.events)
            bench_cli(rows, tmp, big, plan_path, args)
            table(rows)
            return
        (imp, imp_cpu), (base, base_cpu) = bench_import(tmp, plan_path, csv_path, args.runs)
        rows.append(
            (
                f"tracker import, {args.rows:,} rows (process)",
                f"{imp:.2f} s",
                f"csv+executemany {base:.2f} s",
                f"{imp / base:.2f}x",
                "<= 3x",
            )
        )
        rows.append(
            (
                "  the same, CPU time",
                f"{imp_cpu:.2f} s",
                f"{base_cpu:.2f} s",
                f"{imp_cpu / base_cpu:.2f}x",
                "",
            )
        )
        if args.only == "import":
            table(rows)
            return
        big = tmp / "big.db"
        build_big_db(big, plan, csv_path, args.events)
        ours, base = bench_scan(big, plan, args.scans)
        rows.append(
            (
                f"scan commit p50, {args.rows:,} assets / {args.events:,} events",
                f"{pct(ours, 50) * 1000:.2f} ms",
                f"bare commit {pct(base, 50) * 1000:.2f} ms",
                f"{pct(ours, 50) / pct(base, 50):.2f}x",
                "",
            )
        )
        rows.append(
            (
                "scan commit p99",
                f"{pct(ours, 99) * 1000:.2f} ms",
                f"bare commit {pct(base, 99) * 1000:.2f} ms",
                f"{pct(ours, 99) / pct(base, 99):.2f}x",
                "< 3 ms",
            )
        )
        st, st_base = bench_status(big, plan, max(5, args.runs * 3))
        rows.append(
            (
                f"status query, {args.rows:,} assets / {len(plan.sites)} sites",
                f"{st * 1000:.1f} ms",
                f"from event log {st_base * 1000:.0f} ms",
                f"{st / st_base:.3f}x",
                "< 50 ms",
            )
        )
        bench_cli(rows, tmp, big, plan_path, args)
    table(rows)


def table(rows: list[tuple]) -> None:
    header = ("figure", "ours (median)", "baseline (same run)", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    print(
        f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite "
        f"{sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
