"""Shared fixtures: a fresh database per test, the packaged plan, and the real console script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tracker import store
from tracker.inventory.importer import import_file
from tracker.plan import Plan, load_plan

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CSV = REPO / "assets.csv"


@pytest.fixture(autouse=True)
def _isolate_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads or writes the developer's tracker.db or depends on who runs it."""
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "env-default.db"))
    monkeypatch.setenv("TRACKER_OPERATOR", "tester")
    monkeypatch.setenv("TRACKER_STATION", "station-1")
    monkeypatch.delenv("TRACKER_SEED_CSV", raising=False)
    # The parsed plans (tracker/plan_cache.py): beside tmp_path, which tests list.
    monkeypatch.setenv("TRACKER_CACHE_DIR", str(tmp_path_factory.mktemp("plan-cache")))
    for name in ("TRACKER_SSH_IDENTITY", "TRACKER_SSH_USER", "TRACKER_APP_KIOSK_CHECKS"):
        monkeypatch.delenv(name, raising=False)  # no test reaches out with a developer's key
    # Snapshots and printed times show local time: make it the same on every machine.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def fresh_db(db_path: Path):
    db = store.open_db(db_path)
    yield db
    db.close()


@pytest.fixture
def seeded_db(fresh_db, plan: Plan):
    """The sample inventory (assets.csv) imported into a fresh database."""
    result = import_file(fresh_db, plan, SAMPLE_CSV)
    assert result.ok, result.errors
    return fresh_db


def tracker_exe() -> list[str]:
    """The installed `tracker` console script (what staff run), else `python -m tracker`."""
    exe = shutil.which("tracker")
    return [exe] if exe else [sys.executable, "-m", "tracker"]


@pytest.fixture
def run_tracker(db_path: Path, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the real `tracker` command against the test's database."""

    def run(*args: str, input: str | None = None, cwd: Path | None = None, env=None):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [*tracker_exe(), "--db", str(db_path), *args],
            capture_output=True,
            text=True,
            input=input,
            cwd=cwd or tmp_path,
            env=full_env,
            timeout=60,
        )

    return run


@pytest.fixture
def tk(run_tracker) -> Callable[..., str]:
    """The real `tracker` on a database holding the sample inventory: runs a command, fails
    the test on an unexpected exit code, returns its stdout."""

    def run(*args: str, code: int = 0) -> str:
        r = run_tracker(*args)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        return r.stdout

    run("import", str(SAMPLE_CSV))
    return run


def loads_module(args: list[str], module: str) -> tuple[int, bool]:
    """Run `tracker ARGS` in a fresh interpreter: its exit code, and whether `module` was
    imported on the way (for the tests that keep slow imports off a command's path)."""
    probe = (
        "import sys\nfrom tracker.cli import main\n"
        f"code = main({args!r})\nprint('CODE', code, {module!r} in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    found = re.search(r"CODE (\d+) (True|False)", r.stdout)
    assert found, r.stdout + r.stderr
    return int(found[1]), found[2] == "True"
