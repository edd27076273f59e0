"""No scan lost or merged: a scanner's bursts, sent without waiting for the app in between.

`pilot.press` waits for the app to go idle after every key, which hides the Textual 8.2.8
problem (bound Enter running out of order with typed characters, Textualize/textual#6605).
Here every key event is posted straight to the app, as the terminal driver does.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import RichLog
from ui_helpers import async_test, build, ready, wait_for

from tracker import store

pytestmark = pytest.mark.timeout(120)
N = 200


def key(app, char: str, name: str | None = None) -> None:
    app.post_message(events.Key(name or _character_to_key(char), char))


@pytest.fixture
def many_assets(fresh_db):
    rows = [
        (f"BU-{i:04d}", f"BU{i:04d}", "laptop", f"Burst {i}", "raadhus", "raadhus", "in_service")
        for i in range(N)
    ]
    with store.write(fresh_db):
        fresh_db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
            " notes, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, '', '', '')",
            rows,
        )
    return fresh_db


@pytest.mark.parametrize("terminator", ["enter", "ctrl+j"])
@async_test
async def test_200_scans_at_scanner_speed_all_recorded_in_order(
    many_assets, db_path, plan, terminator
):
    app = build(db_path, plan, mode="scan", site="hovedbibliotek", step="packed")
    codes = [f"BU{i:04d}" for i in range(N)]
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for code in codes:  # no await in here: the keys queue up as a scanner types them
            for char in code:
                key(app, char)
            key(app, "\r" if terminator == "enter" else "\n", terminator)
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: app.screen.recorded == N, timeout=60)
        assert app.bells == 0 and app.screen.problems == 0
        assert len(log.lines) >= N
    rows = many_assets.execute(
        "SELECT tag, code, step, site FROM events WHERE action = 'scan' ORDER BY id"
    ).fetchall()
    assert [r[1] for r in rows] == codes
    assert [r[0] for r in rows] == [f"BU-{i:04d}" for i in range(N)]
    assert {(r[2], r[3]) for r in rows} == {("packed", "hovedbibliotek")}
    assert store.unknown_scans(many_assets) == []


@async_test
async def test_site_label_in_a_burst_applies_to_the_next_scan(many_assets, db_path, plan):
    """The UI has not shown the new site yet when the next asset arrives; it must still apply."""
    app = build(db_path, plan, mode="scan", site="raadhus", step="arrived")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for code in ("BU0000", "LOC.BIBNORD", "BU0001", "LOC.BIBSYD", "BU0002"):
            for char in code:
                key(app, char)
            key(app, "\r", "enter")
        await wait_for(pilot, lambda: app.screen.recorded == 3)
        assert app.site == "bib_syd"
    rows = many_assets.execute(
        "SELECT tag, site FROM events WHERE action = 'scan' ORDER BY id"
    ).fetchall()
    assert rows == [("BU-0000", "raadhus"), ("BU-0001", "bib_nord"), ("BU-0002", "bib_syd")]


@async_test
async def test_function_keys_in_a_burst_apply_in_typing_order(many_assets, db_path, plan):
    """F8 (undo) and F7 (next step) pressed between scans act exactly there, not after the next
    scan: a bubbling binding ran behind the typed characters and undid the wrong scan."""
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for code in ("BU0000", "f8", "f7", "BU0001"):
            if code.startswith("f"):
                key(app, None, code)
                continue
            for char in code:
                key(app, char)
            key(app, "\r", "enter")
        await wait_for(pilot, lambda: len(app.screen.query_one(RichLog).lines) >= 3)
        assert app.step == "arrived"
    rows = many_assets.execute("SELECT action, tag, step FROM events ORDER BY id").fetchall()
    assert rows == [
        ("scan", "BU-0000", "packed"),
        ("undo", "BU-0000", "in_service"),
        ("scan", "BU-0001", "arrived"),
    ]
