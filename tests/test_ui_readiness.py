"""Pilot tests of issue 11 in the app: the dashboard's verdict per site and what blocks it, who
holds what at home, the scan screen's holder (F10) and counting a box (F12)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, RichLog, Static
from ui_helpers import async_test, build, log_lines, ready, text, wait_for

from tracker import moves, readiness, store
from tracker.readiness import VERDICT_WORDS
from tracker.ui.screens.count import CountScreen
from tracker.ui.screens.note import NoteScreen
from tracker.ui.widgets.scan_input import ScanInput

pytestmark = pytest.mark.timeout(60)


def verdict_lines(app) -> dict[str, str]:
    """The dashboard's lines under "Can each site open?", by the site name they start with."""
    shown = text(app.screen.query_one("#dash-verdicts", Static)).splitlines()
    assert shown[0].strip() == "Can each site open?"
    names = [s.name for s in app.plan.sites.values()]
    return {name: line for line in shown[1:] for name in names if line.startswith(f"{name} ")}


async def on_screen(pilot, widget_id: str) -> str:
    """The rows of the 80x24 screen that `widget_id` covers, as plain text."""
    app = pilot.app
    widget = app.screen.query_one(widget_id)
    region = widget.region
    assert region.y >= 1 and region.bottom <= app.size.height - 1, region  # under the title
    return text(widget)


def log_text(screen) -> str:
    """The scan log as one line of words (lines wrap at 80 columns)."""
    return " ".join(" ".join(log_lines(screen.query_one(RichLog))).split())


def assert_headline(line: str, site) -> None:
    """The site's verdict in the words of `tracker status`, then its first blocking item (cut
    to the width) and how many more."""
    assert VERDICT_WORDS[site.state] in line
    if site.blocking:
        assert f"{VERDICT_WORDS[site.state]} - {site.blocking[0][:12]}" in line
    more = len(site.blocking) - 1
    assert (f"+{more} more" in line) == (more > 0)


async def scan_code(pilot, code: str) -> None:
    await pilot.press(*code, "enter")


@async_test
async def test_dashboard_leads_with_a_verdict_per_site(seeded_db, db_path, plan):
    """Right after the scenario starts, everything is still at the town hall: the library
    cannot open, the branches can, and each line says why in words."""
    moves.start(seeded_db, plan, "borgerservice_to_library")
    expected = readiness.compute(seeded_db, plan)
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await on_screen(pilot, "#dash-verdicts")
        lines = verdict_lines(app)
        assert set(lines) == {s.name for s in expected.sites if s.functions}
        assert "NOT READY: cannot open - " in lines["Hovedbiblioteket"]
        assert "NOT READY: cannot open - " in lines["Hjemmearbejdspladser"]
        for name in ("Nordby Bibliotek", "Sydhavn Bibliotek"):
            assert lines[name].rstrip().endswith("READY: can open")
        for site in expected.sites:
            assert_headline(lines[site.name], site)
        # Under each site, the whole blocking list (wrapped, nothing cut off).
        sites = " ".join(text(app.screen.query_one("#dash-sites", Static)).split())
        for site in expected.sites:
            for why in site.blocking:
                assert f"blocked: {why}" in sites


@async_test
async def test_verdict_follows_scans_from_another_process(seeded_db, db_path, plan, run_tracker):
    """Normal operation: the town hall cannot open until a kiosk check passes; faulty
    fingerprint readers take pass workstations out, and the blocking list says which."""
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        town_hall = verdict_lines(app)["Rådhuset"]
        assert "NOT READY: cannot open - Selvbetjening" in town_hall
        for code in ("EKSFPR001", "EKSFPR002"):  # of three pass workstations, one is whole
            done = run_tracker("scan", code, "--site", "raadhus", "--step", "faulty")
            assert done.returncode == 0, done.stderr
        sites = app.screen.query_one("#dash-sites", Static)
        await wait_for(pilot, lambda: "EKS-FPR-002" in text(sites), 5)
        shown = " ".join(text(sites).split())
        assert "EKS-PAS-001 in service, but its fingeraftrykslæser EKS-FPR-001 is faulty" in shown
        town_hall = readiness.compute(seeded_db, plan).site("raadhus")
        assert any("1 of 2 Pas- og kørekortarbejdsstation" in why for why in town_hall.blocking)
        for why in town_hall.blocking:
            assert f"blocked: {why}" in shown
        assert_headline(verdict_lines(app)["Rådhuset"], town_hall)


@async_test
async def test_holder_set_on_the_scan_screen_is_recorded_at_home(seeded_db, db_path, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan, mode="scan", site="hjemme", step="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        holder = screen.query_one("#holder", Static)
        assert holder.display and "nobody named" in text(holder)
        assert holder.has_class("warn")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"Mette [b]Eksempel", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert app.focused is screen.query_one(ScanInput)
        shown = text(holder)
        assert "HOLDER Mette [b]Eksempel takes what you scan here" in shown  # literally
        await scan_code(pilot, "EKSBAR003")
        await scan_code(pilot, "EKSHS001")
        await wait_for(pilot, lambda: screen.handled == 2)
        shown = log_text(screen)
        assert "EKS-BAR-003 Bærbar Borgerservice 3: arrived at Hjemmearbejdspladser" in shown
        assert shown.count("held by Mette [b]Eksempel") == 2
        # Another holder for the next items, then back at the town hall none applies.
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        app.screen.query_one(Input).value = "Jens"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await scan_code(pilot, "EKSBAR004")
        await scan_code(pilot, "LOC.RAADHUS")
        await wait_for(pilot, lambda: "applies at home workplaces only" in text(holder))
        await scan_code(pilot, "EKSBAR001")
        await wait_for(pilot, lambda: screen.handled == 5)
        await pilot.press("f2")
        held = app.screen.query_one("#dash-holdings", Static)
        await wait_for(pilot, lambda: "Jens" in text(held))
        held = " ".join(text(held).split())
        assert "Held at home workplaces" in held
        assert (
            "Hjemmearbejdspladser Jens: EKS-BAR-004 Bærbar Borgerservice 4 Mette [b]Eksempel:"
            " EKS-HS-001 Jabra Evolve2 65 nr. 1, EKS-BAR-003 Bærbar Borgerservice 3" in held
        )
    holders = {
        tag: store.asset_by_tag(seeded_db, tag).holder
        for tag in ("EKS-BAR-003", "EKS-HS-001", "EKS-BAR-004", "EKS-BAR-001")
    }
    assert holders == {
        "EKS-BAR-003": "Mette [b]Eksempel",
        "EKS-HS-001": "Mette [b]Eksempel",
        "EKS-BAR-004": "Jens",
        "EKS-BAR-001": "",  # scanned at the town hall: the name at home does not follow it
    }
    rows = seeded_db.execute(
        "SELECT tag, site, holder FROM events WHERE action = 'scan' ORDER BY id"
    ).fetchall()
    assert rows[0] == ("EKS-BAR-003", "hjemme", "Mette [b]Eksempel")


@async_test
async def test_holder_is_taken_in_scan_order(seeded_db, db_path, plan):
    """A scan typed before F10 is recorded without the new holder, one after it with it."""
    app = build(db_path, plan, mode="scan", site="hjemme", step="installed")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.submit_scan("EKSBAR001", reply_to=app.screen)
        app.choose_holder("  Mette  ")
        app.submit_scan("EKSBAR002", reply_to=app.screen)
        await wait_for(pilot, lambda: app.screen.handled == 2)
        assert app.holder == "Mette"
    assert store.asset_by_tag(seeded_db, "EKS-BAR-001").holder == ""
    assert store.asset_by_tag(seeded_db, "EKS-BAR-002").holder == "Mette"


@async_test
async def test_count_a_box_from_the_scan_screen(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="in_service")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert not screen.query_one("#holder", Static).display  # not a home workplace
        titles = {c.title for c in app.get_system_commands(screen)}
        assert {"Set the holder", "Count a box"} <= titles  # for terminals that keep F10/F12
        # Escape in the label field (a ScanInput: it hands keys to the dialog) cancels.
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, CountScreen))
        assert app.focused is app.screen.query_one("#count-code", ScanInput)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # F12 with nothing scanned: the label is scanned into the dialog, then the quantity.
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, CountScreen))
        assert "Rådhuset" in text(app.screen.query_one("#confirm-question", Static))
        await pilot.press(*"EKSMID001", "enter")
        assert app.focused is app.screen.query_one("#count-quantity", Input)
        await pilot.press(*"30", "enter")
        await wait_for(pilot, lambda: screen.handled == 1)
        assert "OK EKS-MID-001 MitID-kodevisere, æske 1: counted 30 at Rådhuset (was 40)" in (
            log_text(screen)
        )
        assert app.focused is screen.query_one(ScanInput)
        # A box just scanned is offered; a bad quantity is refused in one line, with the bell.
        await scan_code(pilot, "LOC.ITLAGER")
        await scan_code(pilot, "EKSMID002")  # already in service there: a repeat
        await wait_for(pilot, lambda: screen.handled == 3)
        assert "F12: count what it holds" in text(screen.query_one("#feedback", Static))
        bells = app.bells
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, CountScreen))
        assert app.screen.query_one("#count-code", Input).value == "EKS-MID-002"
        await pilot.press(*"many", "enter")
        await wait_for(pilot, lambda: screen.handled == 4)
        assert "NOT RECORDED 'EKS-MID-002': quantity" in log_text(screen)
        assert app.bells == bells + 1
        # Escape leaves the dialog without recording anything.
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, CountScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
    box = store.asset_by_tag(seeded_db, "EKS-MID-001")
    assert (box.quantity, box.site) == (30, "raadhus")
    assert store.asset_by_tag(seeded_db, "EKS-MID-002").quantity == 25
    counts = seeded_db.execute(
        "SELECT tag, site, quantity, prev_quantity FROM events WHERE action = 'count'"
    ).fetchall()
    assert counts == [("EKS-MID-001", "raadhus", 30, 40)]
