"""Readiness figures (issue 11): `tracker status` query time with allocation, kits and the
blocking list, against the query it replaced, in the same run on the same database.

Run: python3 bench/bench_readiness.py [--assets 100000] [--sites 500] [--runs 7]
The database: the default plan plus library branches up to --sites, each hosting loans,
passports, MitID and self-service; a quarter of the assets are kit parts of the pass and MitID
workstations (at their workstation's site, a few faulty), the rest equipment and boxes of stock
spread over the sites and steps, a scenario active (so the manifest is read too).
Prints medians in ms and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker import codes, moves, readiness, store, units  # noqa: E402
from tracker.plan import default_plan_path, load_plan  # noqa: E402

EQUIPMENT = ["pass_ws", "mitid_ws", "printer", "kiosk", "mitid_displays"] + [
    "laptop",
    "headset",
] * 5
STEPS = ["in_service", "installed", "in_service", "installed", "packed", "arrived", "faulty"]
PARTS = {"pass_ws": ["fingerprint_reader", "signature_pad", "photo_stand"],
         "mitid_ws": ["card_reader", "receipt_printer"]}  # fmt: skip


def big_plan(path: Path, n_sites: int) -> Path:
    text = default_plan_path().read_text(encoding="utf-8")
    extra = [
        f'\n[[sites]]\nid = "site{i:03d}"\nname = "Site {i}"\ndepartment = "Borgerservice"\n'
        'functions = ["loans", "passports", "driving_licences", "mitid", "self_service"]\n'
        for i in range(n_sites - 6)
    ]
    path.write_text(text + "".join(extra), encoding="utf-8")
    return path


def build(db_path: Path, plan, n_assets: int) -> None:
    rnd = random.Random(7)
    db = store.open_db(db_path)
    sites = list(plan.sites)
    depts = ["Borgerservice", "Biblioteket"]  # the importer fills it from the home site
    rows, n = [], 0
    at = store.now()

    def add(tag, kind, site, step, kit="", quantity=1, dept=""):
        rows.append((tag, codes.key_for(tag), kind, tag, "", site, site, step, at, dept, kit,
                     quantity))  # fmt: skip

    i = 0
    while n < n_assets:
        kind = EQUIPMENT[i % len(EQUIPMENT)]
        i += 1
        site = rnd.choice(sites)
        tag = f"B-{n:06d}"
        add(tag, kind, site, rnd.choice(STEPS), dept=rnd.choice(depts),
            quantity=rnd.randint(1, 30) if kind == "mitid_displays" else 1)  # fmt: skip
        n += 1
        for part in PARTS.get(kind, ()):
            if n >= n_assets:
                break
            add(f"B-{n:06d}", part, site, "faulty" if rnd.random() < 0.03 else "in_service", tag)
            n += 1
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, updated_at,"
            " department, kit, quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        for tag in [r[0] for r in rows if r[2] == "kiosk"][::2]:
            db.execute(
                "INSERT INTO kiosk_latest (tag, host, verdict, checked_at) VALUES (?, 'h', ?, ?)",
                [tag, rnd.choice(["ok", "ok", "crit"]), at],
            )
    parts = sum(1 for r in rows if r[10])
    print(f"{len(rows):,} assets ({parts:,} kit parts) over {len(sites)} sites")
    moves.start(db, plan, "borgerservice_to_library")


def baseline(db, plan) -> None:
    """What `tracker status` computed before issue 11: counts by (site, kind) with kiosks
    joined, and each function's state from the counts (no allocation, kits or words)."""
    counts = dict(
        ((site, kind), n)
        for site, kind, n in db.execute(
            "SELECT site, kind, count(*) FROM assets WHERE step IN ('in_service', 'installed')"
            " AND kind != 'kiosk' GROUP BY site, kind"
        )
    )
    for site, kind, n in db.execute(
        "SELECT a.site, a.kind, count(*) FROM assets a JOIN kiosk_latest k ON k.tag = a.tag"
        " WHERE a.kind IN ('kiosk') AND a.step IN ('in_service', 'installed')"
        " AND k.verdict = 'ok' AND k.checked_at >= ? GROUP BY a.site, a.kind",
        [store.now()],
    ):
        counts[(site, kind)] = n
    hosted = plan.site_functions(moves.active_scenario(db, plan))
    for site in plan.sites:
        for fid in hosted.get(site, ()):
            states = [
                readiness.state_of(counts.get((site, r.kind), 0), r.min, r.target)
                for r in plan.functions[fid].requires
            ]
            min(states)


def medians(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (CPU time: other work on the machine does not
    inflate it, as it does the wall clock on two shared cores)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--assets", type=int, default=100_000)
    ap.add_argument("--sites", type=int, default=500)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--profile", action="store_true", help="profile one run instead")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plan = load_plan(big_plan(Path(tmp) / "plan.toml", args.sites))
        build(Path(tmp) / "t.db", plan, args.assets)
        db = store.open_db(Path(tmp) / "t.db")
        at = datetime.now(UTC)
        if args.profile:
            import cProfile

            cProfile.runctx(
                "readiness.compute(db, plan, at=at, tags=False)", globals(), locals(),
                sort="tottime",
            )  # fmt: skip
            return
        rows = [
            ("baseline: the status query before issue 11", lambda: baseline(db, plan), ""),
            (
                "tracker status, dashboard: readiness.compute",
                lambda: readiness.compute(db, plan, at=at, tags=False),
                "< 50 ms",
            ),
            ("  of which: counted equipment (SQL)", lambda: units.buckets(db, plan, at), ""),
            (
                "tracker status --json, report: with asset tags",
                lambda: readiness.compute(db, plan, at=at),
                "",
            ),
        ]
        measured = [(label, *medians(fn, args.runs), target) for label, fn, target in rows]
        base_wall, base_cpu = measured[0][1], measured[0][2]
        state = readiness.compute(db, plan, at=at, tags=False)
        lines = sum(len(s.blocking) for s in state.sites)
        print(f"{lines} blocking lines over {len(state.sites)} sites")
        print(f"{'figure':<48} {'wall ms':>8} {'CPU ms':>8} {'ratio':>6} {'target':>8}")
        for label, wall, cpu, target in measured:
            print(f"{label:<48} {wall:>8.1f} {cpu:>8.1f} {cpu / base_cpu:>6.1f} {target:>8}")
        print(f"(ratio: CPU time against the baseline's {base_cpu:.1f} ms; wall {base_wall:.1f})")


if __name__ == "__main__":
    main()
