"""Scenario moves through the real `tracker`: which manifest line a substitute is booked to,
undo giving a taken place back, the way home for every item not working at home, closing the
way home (faulty items, `scenario close`), and the times the messages show."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SAMPLE_CSV
from tracker import store
from tracker.plan import default_plan_path

NO_WINDOW = {"TRACKER_REPEAT_SECONDS": "0"}
# One kind on two move lines; the line from elsewhere comes first in the manifest.
TWO_LAPTOP_LINES = """
[[scenarios]]
id = "two_laptop_lines"
name = "Laptops both ways"
description = "A test plan: laptops leave two sites."
closes = ["bib_syd"]
moves = [
    { kind = "laptop", count = 1, from = "bib_syd", to = "bib_nord" },
    { kind = "laptop", count = 1, from = "raadhus", to = "hjemme" },
]
"""


def _import(run_tracker) -> None:
    r = run_tracker("import", str(SAMPLE_CSV))
    assert r.returncode == 0, r.stderr


def _start(run_tracker, scenario: str = "borgerservice_to_library", *plan: str) -> None:
    _import(run_tracker)
    r = run_tracker(*plan, "scenario", "start", scenario)
    assert r.returncode == 0, r.stderr


def _lines(db_path: Path, leg: str = "out") -> list[tuple[str | None, str, str]]:
    """(tag, origin, dest) of the current move's lines, in manifest order."""
    db = store.open_db(db_path, create=False)
    try:
        return [
            tuple(r)
            for r in db.execute(
                "SELECT tag, origin, dest FROM manifest WHERE leg = ? AND move_id ="
                " (SELECT max(id) FROM moves) ORDER BY id",
                [leg],
            ).fetchall()
        ]
    finally:
        db.close()


def _move_status(db_path: Path, column: str = "status") -> str:
    db = store.open_db(db_path, create=False)
    try:
        return db.execute(f"SELECT {column} FROM moves ORDER BY id DESC").fetchone()[0]
    finally:
        db.close()


def test_a_substitute_is_booked_to_the_line_the_auto_step_names(
    run_tracker, tmp_path: Path, db_path: Path
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(default_plan_path().read_text(encoding="utf-8") + TWO_LAPTOP_LINES, "utf-8")
    p = ("--plan", str(plan))
    _start(run_tracker, "two_laptop_lines", *p)
    assert _lines(db_path) == [
        ("EKS-BAR-009", "bib_syd", "bib_nord"),
        ("EKS-BAR-001", "raadhus", "hjemme"),
    ]
    # EKS-BAR-002 is not in the manifest: at Rådhuset it takes the Rådhuset line's place.
    r = run_tracker(*p, "scan", "EKS-BAR-002", "--site", "raadhus")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "packed at Rådhuset (manifest: Rådhuset → Hjemmearbejdspladser" in r.stdout
    assert _lines(db_path) == [
        ("EKS-BAR-009", "bib_syd", "bib_nord"),
        ("EKS-BAR-002", "raadhus", "hjemme"),
    ]
    r = run_tracker(*p, "scan", "EKS-BAR-002", "--site", "hjemme", env=NO_WINDOW)
    assert (
        "arrived at Hjemmearbejdspladser (manifest: Rådhuset → Hjemmearbejdspladser)" in r.stdout
    ), r.stdout
    # An explicit step follows the same rule: a laptop packed at Sydhavn takes that line.
    r = run_tracker(*p, "scan", "EKS-BAR-010", "--site", "bib_syd", "--step", "packed")
    assert r.returncode == 0, r.stdout + r.stderr
    assert _lines(db_path)[0] == ("EKS-BAR-010", "bib_syd", "bib_nord")


def test_undo_gives_a_taken_place_back(run_tracker, db_path: Path) -> None:
    _start(run_tracker, "short_incident")  # laptops EKS-BAR-001..003 go home
    before = run_tracker("scenario", "show").stdout
    lines = _lines(db_path)
    assert ("EKS-BAR-001", "raadhus", "hjemme") in lines
    assert "EKS-BAR-004" not in {t for t, _, _ in lines}
    r = run_tracker("scan", "EKS-BAR-004", "--site", "raadhus")
    assert "in place of an untouched laptop" in r.stdout, r.stdout
    assert "EKS-BAR-004" in {t for t, _, _ in _lines(db_path)}
    assert run_tracker("undo").returncode == 0
    assert _lines(db_path) == lines
    assert run_tracker("scenario", "show").stdout == before
    # The place is free for its own asset again.
    r = run_tracker("scan", "EKS-BAR-001", "--site", "raadhus")
    assert "packed at Rådhuset (manifest: Rådhuset → Hjemmearbejdspladser)" in r.stdout, r.stdout
    assert "in place of" not in r.stdout


def test_undo_leaves_a_place_free_when_its_asset_took_another(run_tracker, db_path: Path) -> None:
    _start(run_tracker, "short_incident")  # laptops EKS-BAR-001..003 to Hjemme
    # EKS-BAR-004 takes EKS-BAR-001's place, then EKS-BAR-001 takes EKS-BAR-002's.
    run_tracker("scan", "EKS-BAR-004", "--site", "raadhus", "--station", "a")
    run_tracker("scan", "EKS-BAR-001", "--site", "raadhus", "--station", "b")
    r = run_tracker("undo", "--station", "a")
    assert r.returncode == 0, r.stdout + r.stderr
    laptops = [t for t, _, _ in _lines(db_path) if t is None or t.startswith("EKS-BAR")]
    assert sorted(laptops, key=str) == sorted([None, "EKS-BAR-001", "EKS-BAR-003"], key=str)


def test_the_way_home_takes_every_item_not_working_at_home(run_tracker, db_path: Path) -> None:
    _start(run_tracker)
    # Packed but never left; arrived and never installed; installed at the library.
    for tag in ("EKS-PAS-001", "EKS-PAS-002", "EKS-NID-001"):
        assert run_tracker("scan", tag, "--site", "raadhus").returncode == 0
    for tag in ("EKS-PAS-002", "EKS-NID-001"):
        r = run_tracker("scan", tag, "--site", "hovedbibliotek", env=NO_WINDOW)
        assert "arrived" in r.stdout, r.stdout
    r = run_tracker("scan", "EKS-NID-001", "--site", "hovedbibliotek", env=NO_WINDOW)
    assert "installed" in r.stdout, r.stdout
    r = run_tracker("scenario", "end")
    assert r.returncode == 0, r.stderr
    assert "3 item(s) to bring home (returning)" in r.stdout
    assert sorted(_lines(db_path, "return")) == [
        ("EKS-NID-001", "hovedbibliotek", "raadhus"),
        ("EKS-PAS-001", "raadhus", "raadhus"),
        ("EKS-PAS-002", "hovedbibliotek", "raadhus"),
    ]
    # Each goes home by the auto step alone.
    for tag in ("EKS-PAS-002", "EKS-NID-001"):
        r = run_tracker("scan", tag, "--site", "hovedbibliotek", env=NO_WINDOW)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "packed at Hovedbiblioteket (manifest: Hovedbiblioteket → Rådhuset)" in r.stdout
    for tag in ("EKS-PAS-001", "EKS-PAS-002", "EKS-NID-001"):
        for step in ("arrived", "installed"):
            r = run_tracker("scan", tag, "--site", "raadhus", env=NO_WINDOW)
            assert r.returncode == 0, r.stdout + r.stderr
            assert f"{step} at Rådhuset" in r.stdout
    assert _move_status(db_path) == "closed"
    assert run_tracker("scenario", "show").stdout.strip() == "no scenario is active"


def _two_at_the_library(run_tracker) -> None:
    _start(run_tracker)
    for tag in ("EKS-PAS-001", "EKS-PAS-002"):
        run_tracker("scan", tag, "--site", "raadhus")
        run_tracker("scan", tag, "--site", "hovedbibliotek", env=NO_WINDOW)
        run_tracker("scan", tag, "--site", "hovedbibliotek", env=NO_WINDOW)
    assert "returning" in run_tracker("scenario", "end").stdout


def _bring_home(run_tracker, tag: str) -> None:
    run_tracker("scan", tag, "--site", "hovedbibliotek", env=NO_WINDOW)
    run_tracker("scan", tag, "--site", "raadhus", env=NO_WINDOW)
    r = run_tracker("scan", tag, "--site", "raadhus", env=NO_WINDOW)
    assert "installed at Rådhuset" in r.stdout, r.stdout


def test_a_faulty_item_does_not_keep_the_way_home_open(run_tracker, db_path: Path) -> None:
    _two_at_the_library(run_tracker)
    r = run_tracker("mark", "EKS-PAS-001", "faulty", "--note", "screen broken in transit")
    assert r.returncode == 0, r.stderr
    assert _move_status(db_path) == "returning"
    _bring_home(run_tracker, "EKS-PAS-002")
    assert _move_status(db_path) == "closed"


def test_marking_the_last_item_missing_closes_the_way_home(run_tracker, db_path: Path) -> None:
    _two_at_the_library(run_tracker)
    _bring_home(run_tracker, "EKS-PAS-002")
    assert _move_status(db_path) == "returning"
    assert run_tracker("mark", "EKS-PAS-001", "missing").returncode == 0
    assert _move_status(db_path) == "closed"


def test_scenario_close_ends_the_way_home_with_a_reason(run_tracker, db_path: Path) -> None:
    _start(run_tracker)
    r = run_tracker("scenario", "close", "--reason", "not yet")
    assert r.returncode == 2
    assert r.stderr.strip().endswith("`tracker scenario end` plans the way home first")
    run_tracker("scan", "EKS-PAS-001", "--site", "raadhus")
    run_tracker("scan", "EKS-PAS-001", "--site", "hovedbibliotek", env=NO_WINDOW)
    run_tracker("scenario", "end")
    r = run_tracker("scenario", "close")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "needs a reason" in r.stderr
    assert _move_status(db_path) == "returning"
    r = run_tracker("scenario", "close", "--reason", "EKS-PAS-001 stays at the library  ")
    assert r.returncode == 0, r.stderr
    assert "closed borgerservice_to_library: EKS-PAS-001 stays at the library" in r.stdout
    assert _move_status(db_path) == "closed"
    assert _move_status(db_path, "close_note") == "EKS-PAS-001 stays at the library"
    assert run_tracker("scenario", "show").stdout.strip() == "no scenario is active"
    assert run_tracker("scenario", "close", "--reason", "again").returncode == 2


def test_starting_a_second_scenario_shows_local_time(run_tracker) -> None:
    _start(run_tracker)
    r = run_tracker("scenario", "start", "short_incident", env={"TZ": "Europe/Copenhagen"})
    assert r.returncode == 2
    assert re.search(
        r"'borgerservice_to_library' is active since \d{4}-\d\d-\d\d \d\d:\d\d: end it first$",
        r.stderr.strip(),
    ), r.stderr
