"""The domain stays free of Textual, and the kiosk agent ships alone (Harlequin's guard)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DOMAIN = [
    "tracker.plan",
    "tracker.store",
    "tracker.migrations",
    "tracker.importer",
    "tracker.exporter",
    "tracker.scan",
    "tracker.moves",
    "tracker.readiness",
    "tracker.codes",
    "tracker.cli",
]


def _loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_modules_do_not_import_textual(module):
    loaded = _loaded_after(module)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_kiosk_agent_imports_neither_textual_nor_tracker():
    loaded = _loaded_after("kiosk_agent.cli")
    bad = {m for m in loaded if m.split(".")[0] in ("textual", "tracker", "rich", "paramiko")}
    assert not bad
