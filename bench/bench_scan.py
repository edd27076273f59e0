"""Scanning at the loading bay: the keys a person presses per item over the seed's relocation
drill, today's explicit steps (F6/F7) against the auto step; and the scan feedback time.

Run: python3 bench/bench_scan.py [--runs 5]

The drill is the sample inventory's `borgerservice_to_library` move, out and home: every
manifest item packed at Rådhuset, arrived and installed at its destination, then packed there
and arrived and installed at Rådhuset again. It runs through the real app (headless
`App.run_test`, scanner keys posted as a burst), and must end with every item installed at home
and no scan needing a look. A press is one trigger of the scanner or one function key; a site
change is a site label scanned in both modes. "Explicit" starts where the README's first hour
says (`--site raadhus --step packed`) and takes the shorter way round F7 / Shift+F7.
Auto mode runs with the double-read window off (TRACKER_REPEAT_SECONDS=0): in a real drill an
item takes longer than that between arriving and being installed.

Scan feedback: Enter on a scan until its line is in the log, auto mode, against the same path
in a bare Textual app (an Input whose Enter writes a RichLog line, no database) in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["TRACKER_REPEAT_SECONDS"] = "0"
os.environ.setdefault("TRACKER_STATION", "bench")
os.environ.setdefault("TRACKER_OPERATOR", "bench")

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.keys import _character_to_key  # noqa: E402
from textual.widgets import Input, RichLog  # noqa: E402

from tracker import codes, moves, store  # noqa: E402
from tracker.inventory.importer import import_file  # noqa: E402
from tracker.plan import load_plan  # noqa: E402
from tracker.scan import STEP_CHOICES  # noqa: E402
from tracker.ui.app import make_app  # noqa: E402

SAMPLE = REPO / "assets.csv"
SCENARIO = "borgerservice_to_library"
HOME = "raadhus"
Action = tuple[str, str, str]  # (site, tag, step)


def fresh_db(path: Path, plan) -> list[moves.ManifestItem]:
    db = store.open_db(path)
    assert import_file(db, plan, SAMPLE).ok
    moves.start(db, plan, SCENARIO)
    items = [it for it in moves.manifest(db) if it.tag]
    db.close()
    return items


def drill(items: list[moves.ManifestItem], by_item: bool) -> tuple[list[Action], list[Action]]:
    """(out, home): the scans of the drill in order. `by_item`: each item arrives and is
    installed before the next (unpacked one by one); else all arrive, then all are installed."""
    out: list[Action] = [(HOME, it.tag, "packed") for it in items]
    home: list[Action] = []
    dests = sorted({it.dest for it in items})
    for dest in dests:
        here = [it.tag for it in items if it.dest == dest]
        out += _arrive_install(dest, here, by_item)
        home += [(dest, tag, "packed") for tag in here]
    home += _arrive_install(HOME, [it.tag for it in items], by_item)
    return out, home


def _arrive_install(site: str, tags: list[str], by_item: bool) -> list[Action]:
    if by_item:
        return [(site, tag, step) for tag in tags for step in ("arrived", "installed")]
    return [(site, tag, "arrived") for tag in tags] + [(site, tag, "installed") for tag in tags]


def keys_for(actions: list[Action], site: str, step: str, auto: bool) -> tuple[list[str], int]:
    """The key events for `actions` from (site, step), and how many presses a person makes."""
    keys: list[str] = []
    presses = 0
    steps = list(STEP_CHOICES)
    for where, tag, wanted in actions:
        if where != site:
            keys += [*codes.site_payload(where), "enter"]
            presses += 1
            site = where
        if not auto and wanted != step:
            forward = (steps.index(wanted) - steps.index(step)) % len(steps)
            backward = len(steps) - forward
            keys += ["f7"] * forward if forward <= backward else ["shift+f7"] * backward
            presses += min(forward, backward)
            step = wanted
        keys += [*codes.asset_payload(tag), "enter"]
        presses += 1
    return keys, presses


def post(app, key: str) -> None:
    char = key if len(key) == 1 else ("\r" if key == "enter" else None)
    app.post_message(events.Key(_character_to_key(key) if len(key) == 1 else key, char))


async def until(pilot, cond, step: float = 0.002) -> None:
    deadline = time.perf_counter() + 60
    while not cond():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out")
        await pilot.pause(step)


async def run_drill(db_path: Path, plan, auto: bool, by_item: bool) -> tuple[int, int, int]:
    """(presses, item scans, items) of one drill through the app; checks where it ends."""
    items = fresh_db(db_path, plan)
    out, home = drill(items, by_item)
    step = "auto" if auto else "packed"
    app = make_app(db_path, plan, mode="scan", site=HOME, step=step, cursor_blink=False)
    presses = 0
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.overview is not None)
        screen = app.screen
        site = HOME
        for leg in (out, home):
            keys, n = keys_for(leg, site, step, auto)
            presses += n
            target = screen.handled + sum(1 for k in keys if k == "enter")
            for key in keys:
                post(app, key)
            await until(pilot, lambda t=target: screen.handled >= t)
            site, step = leg[-1][0], (step if auto else leg[-1][2])
            if leg is out:
                db = store.open_db(db_path)
                moves.end(db)
                db.close()
        assert screen.problems == 0, f"{screen.problems} scan(s) needed a look"
    db = store.open_db(db_path)
    marks = ",".join("?" * len(items))
    sql = f"SELECT DISTINCT step, site FROM assets WHERE tag IN ({marks})"
    ends = {tuple(r) for r in db.execute(sql, [it.tag for it in items])}
    db.close()
    assert ends == {("installed", HOME)}, ends
    return presses, len(out) + len(home), len(items)


class Bare(App):
    """The floor: an Input whose Enter writes a line to a RichLog, no database."""

    def compose(self) -> ComposeResult:
        yield Input(id="in")
        yield RichLog(id="log")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(RichLog).write(event.value)
        self.query_one(Input).clear()


async def feedback(make, n: int = 30) -> list[float]:
    app = make()
    times = []
    async with app.run_test(size=(100, 30)) as pilot:
        if hasattr(app, "overview"):
            await until(pilot, lambda: app.overview is not None)
        log = app.screen.query_one(RichLog)
        for i in range(n):
            for char in f"EKS-BAR-{(i % 11) + 1:03d}":
                post(app, char)
            await pilot.pause()
            before = len(log.lines)
            t0 = time.perf_counter()
            post(app, "enter")
            await until(pilot, lambda b=before: len(log.lines) > b, step=0.0005)
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    plan = load_plan()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, auto, by_item in (
            ("explicit F6/F7, all arrive then all install", False, False),
            ("explicit F6/F7, item by item", False, True),
            ("auto step, all arrive then all install", True, False),
            ("auto step, item by item", True, True),
        ):
            db_path = Path(tmp) / f"{name[:4]}-{by_item}.db"
            db_path.unlink(missing_ok=True)
            presses, scans, items = asyncio.run(run_drill(db_path, plan, auto, by_item))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            rows.append((name, presses, scans, items))
        base_presses = rows[0][1]
        print(f"Relocation drill ({SCENARIO}, out and home), keys a person presses:")
        print(f"{'mode':<46} {'presses':>8} {'per item':>9} {'item scans':>11} {'x explicit':>11}")
        for name, presses, scans, items in rows:
            print(
                f"{name:<46} {presses:>8} {presses / items:>9.1f} {scans:>11}"
                f" {presses / base_presses:>11.2f}"
            )

        db_path = Path(tmp) / "feedback.db"
        items = fresh_db(db_path, plan)
        del items
        bare, ours = [], []
        for _ in range(args.runs):
            bare += asyncio.run(feedback(Bare))
            ours += asyncio.run(
                feedback(
                    lambda: make_app(
                        db_path, plan, mode="scan", site=HOME, step="auto", cursor_blink=False
                    )
                )
            )
    print()
    print(f"{'scan feedback, Enter to log line':<46} {'p50 ms':>8} {'p95 ms':>9} {'x bare':>11}")
    b50 = statistics.median(bare)
    for name, times in (("bare Textual Input + RichLog (baseline)", bare), ("auto mode", ours)):
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:<46} {p50 * 1000:>8.1f} {p95 * 1000:>9.1f} {p50 / b50:>11.1f}")
    print("target: auto mode p95 < 100 ms")


if __name__ == "__main__":
    main()
