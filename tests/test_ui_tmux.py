"""End to end: the real `tracker` command in tmux, scans typed with send-keys at scanner speed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV, tracker_exe

from tracker import moves, readiness, store
from tracker.inventory.importer import import_file

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    """A private tmux server per test: no other tmux session or setting can interfere."""

    def __init__(self, name: str, conf: Path, size: tuple[int, int] = (100, 30)) -> None:
        self.name = name
        self.size = size
        # The window is born at this size: with tmux's 80x24 default it was born small and
        # resized a moment later, and an app that started in between drew at 80x24.
        conf.write_text(f"set -g default-size {size[0]}x{size[1]}\n")
        self.base = ["tmux", "-L", name, "-f", str(conf)]

    def run(self, *args: str) -> str:
        # The test run may carry COLUMNS/LINES (pytest plugins set them), which would make the
        # app draw at that size instead of the pane's: tmux must not pass them on.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        done = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=10, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen after {timeout} s:\n{shown}")
            time.sleep(0.1)


@pytest.fixture
def tmux(tmp_path):
    name = f"tracker-test-{uuid.uuid4().hex[:8]}"
    session = Tmux(name, tmp_path / "tmux.conf")
    yield session
    subprocess.run([*session.base, "kill-server"], capture_output=True)


def start(tmux: Tmux, tmp_path, *args: str) -> None:
    command = " ".join([*tracker_exe(), *args])
    # `; sleep` keeps the pane open after the app exits, so the test can read what it printed.
    tmux.run(
        "new-session",
        "-d",
        "-s",
        tmux.name,
        "-x",
        str(tmux.size[0]),
        "-y",
        str(tmux.size[1]),
        "-c",
        str(tmp_path),
        f"{command}; echo EXIT=$?; sleep 60",
    )


def test_scan_at_a_loading_bay_in_tmux(tmp_path, tmux, plan):
    db_path = tmp_path / "bay.db"
    db = store.open_db(db_path)
    assert import_file(db, plan, SAMPLE_CSV).ok
    start(
        tmux,
        tmp_path,
        "--db",
        str(db_path),
        "scan",
        "--site",
        "hovedbibliotek",
        "--step",
        "arrived",
    )
    tmux.wait_for("scan here")
    shown = tmux.screen()
    assert "Hovedbiblioteket" in shown and "ARRIVED" in shown
    codes = ["EKSPAS001", "EKSPAS002", "EKSNID001", "LOC.BIBNORD", "EKSBAR007", "NOPE123"]
    for code in codes:  # each code and its Enter in one send-keys: a few ms, like a scanner
        tmux.run("send-keys", "-t", tmux.name, code, "Enter")
    tmux.wait_for("4 recorded")
    shown = tmux.wait_for("unknown code")
    assert "EKS-PAS-001" in shown and "arrived at Hovedbiblioteket" in shown
    assert "site label: Nordby Bibliotek" in shown
    assert "UNKNOWN" in shown
    assert "4 recorded" in shown
    rows = db.execute(
        "SELECT tag, step, site FROM events WHERE action = 'scan'"
        " AND code NOT LIKE 'kit:%' ORDER BY id"
    ).fetchall()
    assert rows == [
        ("EKS-PAS-001", "arrived", "hovedbibliotek"),
        ("EKS-PAS-002", "arrived", "hovedbibliotek"),
        ("EKS-NID-001", "arrived", "hovedbibliotek"),
        ("EKS-BAR-007", "arrived", "bib_nord"),
    ]
    tmux.run("send-keys", "-t", tmux.name, "C-q")
    tmux.wait_for("EXIT=0")


def test_dashboard_in_tmux_and_bad_plan_message(tmp_path, tmux, plan):
    db_path = tmp_path / "dash.db"
    db = store.open_db(db_path)
    assert import_file(db, plan, SAMPLE_CSV).ok
    db.close()
    bad_plan = tmp_path / "plan.toml"
    bad_plan.write_text("[municipality]\nname = 1\n", encoding="utf-8")
    start(tmux, tmp_path, "--db", str(db_path), "--plan", str(bad_plan))
    shown = tmux.wait_for("EXIT=")
    assert "Traceback" not in shown and "plan.toml" in shown and "EXIT=2" in shown


def test_auto_step_pasted_list_and_site_label_at_the_destination_in_tmux(tmp_path, tmux, plan):
    """The loading-bay drill as staff do it: no --step while a scenario is active, a pasted
    list of tags (bracketed paste), then at the library its site label and the items."""
    db_path = tmp_path / "drill.db"
    db = store.open_db(db_path)
    assert import_file(db, plan, SAMPLE_CSV).ok
    moves.start(db, plan, "borgerservice_to_library")
    start(tmux, tmp_path, "--db", str(db_path), "scan", "--site", "raadhus")
    shown = tmux.wait_for("scan here")
    assert "Rådhuset" in shown and "AUTO" in shown
    tmux.run("set-buffer", "-b", "tags", "EKSPAS001\nEKSPAS002\nEKSNID001\n")
    tmux.run("paste-buffer", "-p", "-b", "tags", "-t", tmux.name)
    tmux.wait_for("3 recorded")
    for code in ["LOC.HOVEDBIBLIOTEK", "EKSPAS001", "EKSPAS002"]:
        tmux.run("send-keys", "-t", tmux.name, code, "Enter")
    shown = tmux.wait_for("5 recorded")
    assert "arrived at Hovedbiblioteket" in shown and "0 to check" in shown
    rows = db.execute(
        "SELECT tag, step, site FROM events WHERE action = 'scan'"
        " AND code NOT LIKE 'kit:%' ORDER BY id"
    ).fetchall()
    assert rows == [
        ("EKS-PAS-001", "packed", "raadhus"),
        ("EKS-PAS-002", "packed", "raadhus"),
        ("EKS-NID-001", "packed", "raadhus"),
        ("EKS-PAS-001", "arrived", "hovedbibliotek"),
        ("EKS-PAS-002", "arrived", "hovedbibliotek"),
    ]
    tmux.run("send-keys", "-t", tmux.name, "C-q")
    tmux.wait_for("EXIT=0")


def test_can_the_library_open_at_80x24_in_tmux(tmp_path, plan):
    """The question the crisis staff ask, answered in the first lines of a real 80x24
    terminal: one line per site, its verdict in words, and what blocks it first."""
    name = f"tracker-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(name, tmp_path / "tmux.conf", size=(80, 24))
    try:
        db_path = tmp_path / "move.db"
        db = store.open_db(db_path)
        assert import_file(db, plan, SAMPLE_CSV).ok
        moves.start(db, plan, "borgerservice_to_library")
        first = readiness.compute(db, plan).site("hovedbibliotek").blocking[0]
        db.close()
        start(tmux, tmp_path, "--db", str(db_path))
        shown = tmux.wait_for("Can each site open?").splitlines()
        assert len(shown) == 24 and all(len(line) <= 80 for line in shown)
        top = shown[: shown.index(" Can each site open?") + 5]
        library = next(line for line in top if line.startswith(" Hovedbiblioteket "))
        assert f"NOT READY: cannot open - {first[:12]}" in library and "more" in library
        assert any(line.rstrip().endswith("Nordby Bibliotek     READY: can open") for line in top)
        assert any("Hjemmearbejdspladser NOT READY: cannot open" in line for line in top)
        tmux.run("send-keys", "-t", tmux.name, "C-q")
        tmux.wait_for("EXIT=0")
    finally:
        subprocess.run([*tmux.base, "kill-server"], capture_output=True)
