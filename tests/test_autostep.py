"""`tracker scan` without --step: the move's manifest decides, over the seed's relocation out
and home; the double-read guard; each refusal; step cards; and undo per terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess

from tests.conftest import SAMPLE_CSV, tracker_exe

# Part of the seed's borgerservice_to_library manifest: two to the library, two to home desks.
TO_LIBRARY = ("EKS-PAS-001", "EKS-KIO-001")
TO_HOME = ("EKS-BAR-003", "EKS-HS-001")
NO_WINDOW = {"TRACKER_REPEAT_SECONDS": "0"}


def _start(run_tracker) -> None:
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    r = run_tracker("scenario", "start", "borgerservice_to_library")
    assert r.returncode == 0, r.stderr


def _scan(run_tracker, tag: str, site: str, env=None):
    return run_tracker("scan", tag, "--site", site, env=env)


def _state(run_tracker, tag: str) -> tuple[str, str]:
    events = json.loads(run_tracker("history", tag, "--json").stdout)
    live = [e for e in events if not e["undone_by"] and e["action"] == "scan"]
    return live[-1]["step"], live[-1]["site"]


def test_inferred_steps_over_the_relocation_out_and_home(run_tracker):
    _start(run_tracker)
    for tag in TO_LIBRARY + TO_HOME:
        r = _scan(run_tracker, tag, "raadhus")
        assert r.returncode == 0, r.stderr
        assert "packed at Rådhuset (manifest: Rådhuset →" in r.stdout
    for tag in TO_LIBRARY:
        r = _scan(run_tracker, tag, "hovedbibliotek", NO_WINDOW)
        assert "arrived at Hovedbiblioteket (manifest: Rådhuset → Hovedbiblioteket)" in r.stdout
        r = _scan(run_tracker, tag, "hovedbibliotek", NO_WINDOW)
        assert "installed at Hovedbiblioteket (manifest: Rådhuset → Hovedbiblioteket)" in r.stdout
        r = _scan(run_tracker, tag, "hovedbibliotek", NO_WINDOW)
        assert "already installed" in r.stdout and "nothing changed" in r.stdout
    for tag in TO_HOME:
        assert "arrived at Hjemme" in _scan(run_tracker, tag, "hjemme", NO_WINDOW).stdout
        assert "installed at Hjemme" in _scan(run_tracker, tag, "hjemme", NO_WINDOW).stdout
        assert _state(run_tracker, tag) == ("installed", "hjemme")

    assert run_tracker("scenario", "end").returncode == 0
    for tag in TO_LIBRARY:
        r = _scan(run_tracker, tag, "hovedbibliotek", NO_WINDOW)
        assert "packed at Hovedbiblioteket (manifest: Hovedbiblioteket → Rådhuset)" in r.stdout
    for tag in TO_HOME:
        assert "packed at Hjemme" in _scan(run_tracker, tag, "hjemme", NO_WINDOW).stdout
    for tag in TO_LIBRARY + TO_HOME:
        r = _scan(run_tracker, tag, "raadhus", NO_WINDOW)
        assert "arrived at Rådhuset (manifest:" in r.stdout and "→ Rådhuset)" in r.stdout
        r = _scan(run_tracker, tag, "raadhus", NO_WINDOW)
        assert "installed at Rådhuset" in r.stdout, r.stdout + r.stderr
        assert _state(run_tracker, tag) == ("installed", "raadhus")
    # Everything is home: the move is closed, and with it the manifest to infer from.
    assert "no scenario is active" in run_tracker("scenario", "show").stdout
    r = _scan(run_tracker, "EKS-PAS-001", "raadhus", NO_WINDOW)
    assert r.returncode == 2 and "no scenario is active" in r.stderr


def test_a_double_read_is_a_repeat_not_the_next_step(run_tracker):
    _start(run_tracker)
    _scan(run_tracker, "EKS-PAS-001", "raadhus")
    r = _scan(run_tracker, "EKS-PAS-001", "hovedbibliotek")
    assert "arrived" in r.stdout
    again = _scan(run_tracker, "EKSPAS001", "hovedbibliotek")  # the scanner read it twice
    assert again.returncode == 1  # a repeat: done, worth a look (exit-status table)
    assert "was scanned here" in again.stdout and "nothing changed" in again.stdout
    assert _state(run_tracker, "EKS-PAS-001") == ("arrived", "hovedbibliotek")
    # Another station is another person: its scan is the next step.
    r = run_tracker(
        "scan", "EKS-PAS-001", "--site", "hovedbibliotek", "--station", "bay-2", env=NO_WINDOW
    )
    assert "installed at Hovedbiblioteket" in r.stdout
    # An explicit step is not guarded: it does exactly what it says, as before.
    r = run_tracker("scan", "EKS-PAS-002", "--site", "raadhus", "--step", "packed")
    r = run_tracker("scan", "EKS-PAS-002", "--site", "raadhus", "--step", "faulty")
    assert "faulty at Rådhuset" in r.stdout


def test_each_refusal_records_nothing_and_asks_for_a_step(run_tracker):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    r = _scan(run_tracker, "EKS-PAS-001", "raadhus")
    assert r.returncode == 2 and "no scenario is active" in r.stderr
    assert run_tracker("scenario", "start", "borgerservice_to_library").returncode == 0
    cases = [
        # An asset the move does not take (the spare pass workstation is in the IT store).
        ("EKS-PAS-004", "raadhus", "EKS-PAS-004 is not in the manifest of this move"),
        # A site that is neither end of the asset's manifest line.
        ("EKS-PAS-001", "bib_nord", "Nordby Bibliotek is neither the origin nor the destination"),
        # A faulty kiosk is in no manifest either.
        ("EKS-KIO-005", "bib_syd", "not in the manifest"),
    ]
    for tag, site, why in cases:
        before = run_tracker("history", tag, "--json").stdout
        r = _scan(run_tracker, tag, site)
        assert r.returncode == 2, r.stdout  # refused: nothing recorded (exit-status table)
        assert f"{tag} NOT RECORDED" in r.stderr and why in r.stderr
        assert "choose a step" in r.stderr
        assert run_tracker("history", tag, "--json").stdout == before
    # On the way home, an asset that never left is not in the return manifest.
    assert "packed" in _scan(run_tracker, "EKS-PAS-001", "raadhus").stdout
    assert "arrived" in _scan(run_tracker, "EKS-PAS-001", "hovedbibliotek").stdout
    assert "returning" in run_tracker("scenario", "end").stdout
    r = _scan(run_tracker, "EKS-PAS-002", "raadhus")
    assert r.returncode == 2 and "not in the manifest of the way home" in r.stderr


def test_any_working_asset_of_a_kind_takes_an_untouched_place(run_tracker):
    _start(run_tracker)
    r = _scan(run_tracker, "EKS-PAS-003", "raadhus")  # not picked, but a pass workstation
    assert r.returncode == 0 and "in place of an untouched pass_ws" in r.stdout
    show = run_tracker("scenario", "show").stdout
    assert "EKS-PAS-003" in show


def test_step_card_and_did_you_mean(run_tracker):
    _start(run_tracker)
    r = run_tracker("scan", "STEP.INSERVICE", "--site", "raadhus")
    assert r.returncode == 0 and "step card: in service" in r.stdout
    r = _scan(run_tracker, "EKS-PAS-0O1", "raadhus")
    assert r.returncode == 1 and "did you mean EKS-PAS-001?" in r.stderr
    assert _state_or_none(run_tracker, "EKS-PAS-001") is None
    unknown = json.loads(run_tracker("unknown", "--json").stdout)
    assert unknown[0]["code"] == "EKS-PAS-0O1"


def _state_or_none(run_tracker, tag):
    events = json.loads(run_tracker("history", tag, "--json").stdout)
    return events[-1]["step"] if events else None


def test_two_terminals_on_one_pc_are_two_stations(run_tracker, db_path):
    """`tracker undo` in a second shell leaves the first shell's scans alone."""
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "TRACKER_STATION"}
    terminals = [pty.openpty() for _ in range(2)]

    def in_terminal(n: int, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*tracker_exe(), "--db", str(db_path), *args],
            stdin=terminals[n][1],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    try:
        r = in_terminal(0, "scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
        assert r.returncode == 0, r.stderr
        (event,) = json.loads(run_tracker("history", "EKS-PAS-001", "--json").stdout)
        assert event["station"].endswith(":" + os.ttyname(terminals[0][1]).removeprefix("/dev/"))
        r = in_terminal(1, "undo")
        assert r.returncode == 1 and "nothing to undo" in r.stderr
        r = in_terminal(0, "undo")
        assert r.returncode == 0 and "undone: EKS-PAS-001" in r.stdout
    finally:
        for fds in terminals:
            for fd in fds:
                os.close(fd)
