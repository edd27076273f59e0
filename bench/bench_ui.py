"""Terminal app figures: first paint with a large inventory, the assets table, a scan burst.

Run: python3 bench/bench_ui.py [--assets 10000] [--runs 5]
Prints a table: the median of several runs of each figure, and its ratio to a baseline run in
the same process (an empty Textual app painting one line). Runs headless (`App.run_test`): the
figures are Textual's own work, without a terminal emulator drawing.

- first paint: App start until the dashboard shows the readiness read from the database.
- assets table: F4 on a running app until the first page of the table is filled.
- 200-scan burst: keys posted without waiting, until all 200 scans are recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.keys import _character_to_key  # noqa: E402
from textual.widgets import DataTable, Static  # noqa: E402

from tracker import store  # noqa: E402
from tracker.plan import load_plan  # noqa: E402
from tracker.ui.app import make_app  # noqa: E402

KINDS = ["pass_ws", "mitid_ws", "printer", "kiosk", "laptop", "headset"]
SITES = ["raadhus", "hovedbibliotek", "bib_nord", "bib_syd", "it_lager"]


def make_db(path: Path, n: int) -> None:
    db = store.open_db(path)
    rows = [
        (
            f"BN-{i:06d}",
            f"BN{i:06d}",
            KINDS[i % len(KINDS)],
            f"Asset {i}",
            SITES[i % len(SITES)],
            SITES[i % len(SITES)],
            "in_service",
        )
        for i in range(n)
    ]
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
            " notes, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, '', '', '')",
            rows,
        )
    db.close()


class Empty(App):
    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")


async def until(pilot, cond, step: float = 0.002) -> None:
    deadline = time.perf_counter() + 30
    while not cond():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out")
        await pilot.pause(step)


async def baseline() -> float:
    t0 = time.perf_counter()
    app = Empty()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query("#hello"))
        await pilot.pause()
        return time.perf_counter() - t0


async def first_paint(db_path: Path, plan) -> float:
    t0 = time.perf_counter()
    app = make_app(db_path, plan, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.overview is not None)
        await pilot.pause()  # the dashboard's refresh with that data
        elapsed = time.perf_counter() - t0
        verdicts = app.screen.query_one("#dash-verdicts", Static).content
        assert verdicts.renderables[0].plain == "Can each site open?"
        return elapsed


async def assets_table(db_path: Path, plan) -> float:
    app = make_app(db_path, plan, cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.overview is not None)
        t0 = time.perf_counter()
        await pilot.press("f4")
        await until(
            pilot,
            lambda: app.screen.query(DataTable) and app.screen.query_one(DataTable).row_count > 0,
        )
        await pilot.pause()
        return time.perf_counter() - t0


async def burst(db_path: Path, plan, n: int = 200) -> float:
    app = make_app(
        db_path, plan, mode="scan", site="hovedbibliotek", step="packed", cursor_blink=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.overview is not None)
        start = app.screen.recorded
        t0 = time.perf_counter()
        for i in range(n):
            for char in f"BN{i:06d}":
                app.post_message(events.Key(_character_to_key(char), char))
            app.post_message(events.Key("enter", "\r"))
        await until(pilot, lambda: app.screen.recorded + app.screen.problems - start >= n)
        return time.perf_counter() - t0


def median(runs: int, coro_factory) -> float:
    return statistics.median(asyncio.run(coro_factory()) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    plan = load_plan()
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small.db", Path(tmp) / "large.db"
        make_db(small, 28)
        make_db(large, args.assets)
        asyncio.run(baseline())  # warm imports and caches before timing anything
        base = median(args.runs, baseline)
        rows = [
            ("empty Textual app, first paint (baseline)", base, "-"),
            ("first paint, 28 assets", median(args.runs, lambda: first_paint(small, plan)), "-"),
            (
                f"first paint, {args.assets} assets",
                median(args.runs, lambda: first_paint(large, plan)),
                "< 1 s",
            ),
            (
                f"assets table first page, {args.assets} assets",
                median(args.runs, lambda: assets_table(large, plan)),
                "-",
            ),
            (
                f"200-scan burst recorded, {args.assets} assets",
                median(max(1, args.runs // 2), lambda: burst(large, plan)),
                "all recorded",
            ),
        ]
    print(f"{'figure':<50} {'median s':>9} {'x baseline':>11}  target")
    for name, seconds, target in rows:
        print(f"{name:<50} {seconds:>9.3f} {seconds / base:>11.1f}  {target}")


if __name__ == "__main__":
    main()
