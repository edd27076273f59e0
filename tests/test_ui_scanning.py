"""Pilot tests of scanning at the loading bay: the auto step, pastes, how each outcome looks,
the footer at 80 columns, step cards, the stocktake mode, and the asset detail's actions."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image
from textual import events
from textual.widgets import DataTable, Input, RichLog, Static
from textual.widgets._footer import FooterKey
from ui_helpers import async_test, build, log_lines, ready, text, wait_for

from tracker import audit, moves, store
from tracker.ui.screens.asset_detail import AssetDetailScreen
from tracker.ui.screens.note import NoteScreen
from tracker.ui.widgets.scan_input import ScanInput

pytestmark = pytest.mark.timeout(60)


def scans(db) -> list[tuple[str, str, str, str]]:
    """Scan events, without those of kit parts that moved with their workstation."""
    return db.execute(
        "SELECT tag, step, site, flag FROM events WHERE action = 'scan'"
        " AND code NOT LIKE 'kit:%' ORDER BY id"
    ).fetchall()


async def scan(pilot, code: str) -> None:
    await pilot.press(*code, "enter")


async def lines(pilot, n: int) -> list[str]:
    log = pilot.app.screen.query_one(RichLog)
    await wait_for(pilot, lambda: pilot.app.screen.handled >= n)
    return log_lines(log)


@async_test
async def test_auto_step_records_what_the_manifest_says_and_refuses_the_rest(
    seeded_db, db_path, plan
):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan, mode="scan", site="raadhus", step="auto")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        step_box = app.screen.query_one("#step", Static)
        assert "AUTO" in text(step_box)
        await scan(pilot, "EKSPAS001")
        shown = await lines(pilot, 1)
        assert "OK" in shown[0] and "packed at Rådhuset (manifest: Rådhuset →" in shown[0]
        assert "with 3 kit part(s)" in shown[0]
        assert "last: PACKED" in text(step_box)
        assert app.bells == 0
        await scan(pilot, "EKSPAS004")  # in the IT store, not in the manifest
        shown = await lines(pilot, 2)
        assert "NO STEP" in shown[-1] and "choose a step" in shown[-1]
        assert app.bells == 1
        assert app.screen.query_one("#feedback").has_class("warn")
    assert scans(seeded_db) == [("EKS-PAS-001", "packed", "raadhus", "")]


@async_test
async def test_a_pasted_list_is_one_scan_per_line_in_order(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        scan_input = app.screen.query_one(ScanInput)
        await pilot.press(*"eks-pas")  # typed before the paste: belongs to its first line
        scan_input.post_message(
            events.Paste("-001\nEKSPAS002\r\n\nLOC.HOVEDBIBLIOTEK\nEKSNID001\n")
        )
        shown = await lines(pilot, 4)
        assert "EKS-PAS-001" in shown[0] and "SITE" in shown[2] and "EKS-NID-001" in shown[3]
        assert scan_input.value == ""
        scan_input.post_message(events.Paste("EKSPAS003"))  # one line, no Enter: to finish
        await pilot.pause()
        assert scan_input.value == "EKSPAS003" and app.screen.handled == 4
    assert scans(seeded_db) == [
        ("EKS-PAS-001", "packed", "raadhus", ""),
        ("EKS-PAS-002", "packed", "raadhus", ""),
        ("EKS-NID-001", "packed", "hovedbibliotek", ""),
    ]


@async_test
async def test_unknown_and_flagged_look_different(seeded_db, db_path, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan, mode="scan", site="bib_syd", step="arrived")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        feedback = app.screen.query_one("#feedback", Static)
        await scan(pilot, "EKSPAS0O1")
        shown = await lines(pilot, 1)
        assert "UNKNOWN" in shown[0] and "did you mean EKS-PAS-001?" in shown[0]
        assert feedback.has_class("unknown") and not feedback.has_class("bad")
        unknown_colour = feedback.styles.background
        await scan(pilot, "EKSPAS001")  # the manifest sends it to the main library
        shown = await lines(pilot, 2)
        assert "FLAGGED" in shown[1] and "WRONG SITE" in shown[1]
        assert feedback.has_class("bad") and not feedback.has_class("unknown")
        assert feedback.styles.background != unknown_colour
        assert app.bells == 2


@async_test
async def test_footer_keeps_f6_to_f9_at_80_columns(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.pause()
        shown = {
            key.key
            for key in app.screen.query(FooterKey)
            if key.region.width and key.region.right <= 80
        }
        assert {"f6", "f7", "f8", "f9"} <= shown, shown
        await pilot.press("f2")  # F2-F5 still work, without taking footer room
        assert app.current_mode == "dashboard"


@async_test
async def test_step_card_sets_the_step(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "STEP.INSTALLED")
        await scan(pilot, "EKSPAS004")
        shown = await lines(pilot, 2)
        assert "STEP" in shown[0] and "INSTALLED" in text(app.screen.query_one("#step"))
        assert "installed at Rådhuset" in shown[1]
    assert scans(seeded_db) == [("EKS-PAS-004", "installed", "raadhus", "")]


@async_test
async def test_stocktake_mode_records_what_was_seen(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="in_service")
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f7")  # in service -> stocktake
        await wait_for(pilot, lambda: "STOCKTAKE" in text(app.screen.query_one("#step")))
        for code in ("EKSPAS001", "EKSBAR005", "NOPE42", "EKSPAS001"):
            await scan(pilot, code)
        shown = await lines(pilot, 4)
        assert "FOUND" in shown[0]
        assert "FLAGGED" in shown[1] and "UNEXPECTED" in shown[1]
        assert "UNKNOWN" in shown[2] and "REPEAT" in shown[3]
    closed = audit.close(seeded_db, plan, "raadhus")
    assert closed.result["found"] == ["EKS-PAS-001"]
    assert closed.result["unexpected"] == ["EKS-BAR-005"]
    assert closed.result["unknown"] == ["NOPE42"]
    assert scans(seeded_db) == []  # no step changed
    assert store.asset_by_tag(seeded_db, "EKS-BAR-005").step == "in_service"


@async_test
async def test_asset_detail_marks_edits_notes_and_writes_its_label(
    seeded_db, db_path, plan, tmp_path
):
    app = build(db_path, plan, mode="assets", report_dir=tmp_path)
    async with app.run_test(size=(200, 30)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(DataTable)
        await pilot.press(*"EKS-PAS-002")
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AssetDetailScreen))
        detail = app.screen
        await wait_for(pilot, lambda: detail.asset is not None)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"skærm knust", "enter")
        await wait_for(pilot, lambda: store.asset_by_tag(seeded_db, "EKS-PAS-002").step == "faulty")
        await wait_for(pilot, lambda: "skærm knust" in text(detail.query_one("#detail-history")))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        notes = app.screen.query_one(Input)
        assert "skærm knust" in notes.value  # the mark's note leads the notes
        notes.value = "Til service hos leverandøren"
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                store.asset_by_tag(seeded_db, "EKS-PAS-002").notes == "Til service hos leverandøren"
            ),
        )
        await pilot.press("p")
        await wait_for(
            pilot,
            lambda: (
                (tmp_path / "label-EKSPAS002.png").stat().st_size > 0
                if (tmp_path / "label-EKSPAS002.png").exists()
                else False
            ),
        )
    (event,) = [e for e in store.history(seeded_db, "EKS-PAS-002") if e["action"] == "mark"]
    assert (event["step"], event["site"], event["note"]) == ("faulty", "raadhus", "skærm knust")
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "label-EKSPAS002.png"))
    assert [b.text for b in found] == ["EKSPAS002"]


@async_test
async def test_site_and_step_in_large_letters_where_they_fit(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="arrived")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.pause()
        site = text(app.screen.query_one("#site", Static))
        step = text(app.screen.query_one("#step", Static))
        assert "█" in site and "Rådhuset" in site  # large, and the name in plain letters
        assert "█" in step and "ARRIVED" in step
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")  # too long for large letters at 80 columns
        await wait_for(pilot, lambda: "Hovedbiblioteket" in text(app.screen.query_one("#site")))
        assert "█" not in text(app.screen.query_one("#site", Static))
        await pilot.resize_terminal(140, 30)
        await wait_for(pilot, lambda: "█" in text(app.screen.query_one("#site", Static)))
