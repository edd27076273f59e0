"""Readiness report figures: rendering the HTML page on a large inventory with a long move.

Run: python3 bench/bench_report.py [--rows 10000] [--events 100000] [--runs 5]
Prints a table: median of several runs of `render_report`, against a baseline run in the same
process on the same database (`readiness.compute`, what `tracker status` does), and the size of
the page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_core import build_big_db, write_csv  # noqa: E402

from tracker import moves, readiness, store  # noqa: E402
from tracker.plan import load_plan  # noqa: E402
from tracker.report.build import render_report  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    plan = load_plan()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, db_path = Path(tmp) / "assets.csv", Path(tmp) / "big.db"
        write_csv(csv_path, args.rows, list(plan.sites))
        build_big_db(db_path, plan, csv_path, args.events)
        db = store.open_db(db_path)
        moves.start(db, plan, "borgerservice_to_library")
        # The move's own scans come after the start, so the timeline is full (500 rows).
        with store.write(db):
            db.execute(
                "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
                " station) SELECT ?, tag, 'scan', 'packed', site, step, site, 'bench', 'bench'"
                " FROM assets LIMIT 1000",
                [store.now()],
            )
        page = render_report(db, plan)
        base = median_ms(lambda: readiness.compute(db, plan), args.runs)
        mine = median_ms(lambda: render_report(db, plan), args.runs)

    print(f"{args.rows} assets, {args.events + 1000} events; median of {args.runs} runs")
    print(f"{'what':<42} {'ms':>8} {'x baseline':>11}")
    print(f"{'baseline: readiness.compute (tracker status)':<42} {base:>8.1f} {1.0:>11.1f}")
    print(f"{'render_report (whole page)':<42} {mine:>8.1f} {mine / base:>11.1f}")
    print(f"page: {len(page.encode()) / 1024:.0f} KiB, {page.count('<tr')} table rows")


if __name__ == "__main__":
    main()
