"""Pilot tests of issue 12's wrong-record bugs on the scan screen: a scenario that starts
switches the step to AUTO, F8 in a stocktake never undoes a move scan, and a stocktake is
closed by F11 or by the next site's label instead of piling up."""

from __future__ import annotations

import pytest
from textual.widgets import RichLog, Static
from ui_helpers import async_test, build, log_lines, ready, text, wait_for

from tracker import audit, moves, store
from tracker.ui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.timeout(60)


def scans(db) -> list[tuple[str, str, str]]:
    return db.execute(
        "SELECT tag, step, site FROM events WHERE action = 'scan'"
        " AND code NOT LIKE 'kit:%' ORDER BY id"
    ).fetchall()


async def scan(pilot, code: str) -> None:
    await pilot.press(*code, "enter")


async def lines(pilot, n: int) -> list[str]:
    await wait_for(pilot, lambda: pilot.app.screen.handled >= n)
    return log_lines(pilot.app.screen.query_one(RichLog))


def step_shown(app) -> str:
    return text(app.get_screen("scan").query_one("#step", Static))


@async_test
async def test_a_scenario_started_on_the_plan_screen_switches_the_step_to_auto(
    seeded_db, db_path, plan
):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        assert "PACKED" in step_shown(app)
        await pilot.press("f5", "down", "down", "enter")  # borgerservice_to_library
        await pilot.click("#yes")
        await wait_for(pilot, lambda: app.step == "auto")
        await pilot.press("f3")
        await pilot.pause()
        assert "AUTO" in step_shown(app)
        shown = log_lines(app.screen.query_one(RichLog))
        assert any("switched from PACKED to AUTO" in line for line in shown), shown
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")
        await scan(pilot, "EKS-PAS-002")
        shown = await lines(pilot, 2)
        assert "packed at Hovedbiblioteket" not in shown[-1], shown
    assert ("EKS-PAS-002", "packed", "hovedbibliotek") not in scans(seeded_db)


@async_test
async def test_a_scenario_started_elsewhere_switches_to_auto_but_a_later_choice_stays(
    seeded_db, db_path, plan, run_tracker
):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        done = run_tracker("scenario", "start", "borgerservice_to_library")
        assert done.returncode == 0, done.stderr
        await wait_for(pilot, lambda: "AUTO" in step_shown(app), timeout=5)
        assert "switched from PACKED to AUTO" in text(app.screen.query_one("#feedback"))
        await pilot.press("f7")  # auto -> packed: chosen after the start, so it stays
        await wait_for(pilot, lambda: "PACKED" in step_shown(app))
        done = run_tracker("scan", "EKSPAS004", "--site", "it_lager", "--step", "faulty")
        await pilot.pause(0.5)  # another write: the worker looks at the move again
        await scan(pilot, "EKSPAS001")
        await lines(pilot, 1)
        assert app.step == "packed"
    assert scans(seeded_db)[-1] == ("EKS-PAS-001", "packed", "raadhus")


@async_test
async def test_a_scenario_started_elsewhere_is_noticed_by_the_very_next_scan(
    seeded_db, db_path, plan
):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed", poll_seconds=30)
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        moves.start(seeded_db, plan, "borgerservice_to_library")  # no poll in between
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")
        await scan(pilot, "EKS-PAS-002")
        await lines(pilot, 2)
    assert ("EKS-PAS-002", "packed", "hovedbibliotek") not in scans(seeded_db)


@async_test
async def test_f8_in_a_stocktake_never_undoes_the_earlier_move_scan(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "EKSPAS001")  # a move scan: packed
        await pilot.press("shift+f7", "shift+f7")  # packed -> auto -> stocktake
        await scan(pilot, "EKSBAR001")  # a sighting
        await lines(pilot, 2)
        assert "STOCKTAKE" in step_shown(app)
        bells = app.bells
        await pilot.press("f8")
        shown = await lines(pilot, 3)
        assert "NO UNDO" in shown[2] and "nothing to undo in a stocktake" in shown[2]
        assert app.bells == bells + 1
    assert store.asset_by_tag(seeded_db, "EKS-PAS-001").step == "packed"
    assert seeded_db.execute("SELECT count(*) FROM events WHERE action = 'undo'").fetchone() == (0,)


@async_test
async def test_f11_closes_the_stocktake_and_shows_its_summary(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="auto")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await pilot.press("shift+f7")  # auto -> stocktake
        for code in ("EKSPAS001", "EKSBAR005", "NOPE42"):
            await scan(pilot, code)
        await lines(pilot, 3)
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        shown = await lines(pilot, 4)
        assert "CLOSED" in shown[3] and "stocktake of Rådhuset closed: 1 found" in shown[3]
        assert "1 unexpected, 1 unknown" in shown[3] and "missing: EKS-" in shown[3]
    (closed,) = audit.audits(seeded_db, "raadhus")
    assert closed.status == "closed" and closed.result["found"] == ["EKS-PAS-001"]


@async_test
async def test_a_site_label_in_a_stocktake_closes_the_one_left_behind(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="auto")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await pilot.press("shift+f7")  # auto -> stocktake
        await scan(pilot, "EKSPAS001")
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")
        await scan(pilot, "EKSBAR005")
        shown = await lines(pilot, 4)  # the label answers twice: the close, then the site
        assert "CLOSED" in shown[1] and "stocktake of Rådhuset closed: 1 found" in shown[1]
        site = next(i for i, line in enumerate(shown) if "SITE" in line)
        assert site > 1 and "FOUND" in shown[-1] and "EKS-BAR-005" in shown[-1]
    open_ones = [a.site for a in audit.audits(seeded_db) if a.status == "open"]
    assert open_ones == ["hovedbibliotek"]


@async_test
async def test_a_site_label_leaves_a_shared_stocktake_open_and_says_so(seeded_db, db_path, plan):
    audit.start(seeded_db, plan, "raadhus")
    audit.scan(seeded_db, plan, "raadhus", "EKSPAS002", station="door")
    app = build(db_path, plan, mode="scan", site="raadhus", step="auto")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await pilot.press("shift+f7")
        await scan(pilot, "EKSPAS001")
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")
        shown = await lines(pilot, 3)
        assert "OPEN" in shown[1] and "stays open: door scanned there too" in shown[1]
    assert [a.site for a in audit.audits(seeded_db) if a.status == "open"] == ["raadhus"]


@async_test
async def test_closing_a_stocktake_is_in_the_palette_and_the_help(seeded_db, db_path, plan):
    from tracker.ui.screens.help import HelpScreen

    audit.scan(seeded_db, plan, "raadhus", "EKSPAS001", station="door", open_if_needed=True)
    app = build(db_path, plan, mode="scan", site="raadhus", step="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(text(static) for static in app.screen.query(Static))
        assert "F11" in shown and "close the current site's stocktake" in shown
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"close the stocktake")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        shown = await lines(pilot, 1)
        assert "CLOSED" in shown[0] and "1 found" in shown[0]
    assert [a.status for a in audit.audits(seeded_db, "raadhus")] == ["closed"]
