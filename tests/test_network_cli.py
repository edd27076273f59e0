"""`tracker network record|list` and the staff network in `tracker status`, through the real
command (`tracker network check` runs the agent, so it is tested in the namespace lab)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV
from staff_reports import staff_doc


def _rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM network_checks").fetchone()[0]


def _library(run_tracker) -> dict:
    r = run_tracker("status", "--json")
    assert r.returncode == 0, r.stderr
    return next(s for s in json.loads(r.stdout)["sites"] if s["id"] == "hovedbibliotek")


def test_record_a_laptop_report_and_status_shows_it_per_site(run_tracker, tmp_path, db_path):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0  # only import makes a db
    assert run_tracker("scenario", "start", "borgerservice_to_library").returncode == 0
    lib = _library(run_tracker)
    assert lib["network"]["state"] == "missing"
    assert any(
        b.startswith("Pas, ") and b.endswith(": no staff network check") for b in lib["blocking"]
    )
    assert {f["id"]: f["state"] for f in lib["functions"]}["passports"] == "not_ready"

    report = tmp_path / "laptop.json"
    report.write_text(json.dumps(staff_doc()))
    r = run_tracker("network", "record", "--site", "hovedbibliotek", str(report))
    assert r.returncode == 0, r.stderr
    assert "Hovedbiblioteket: staff network ok" in r.stdout
    lib = _library(run_tracker)
    assert lib["network"]["state"] == "ok" and lib["network"]["host"] == "laptop-7"
    assert not any("staff network" in b for b in lib["blocking"])

    text = run_tracker("status").stdout
    assert "staff network: staff network ok" in text
    listing = run_tracker("network", "list").stdout
    assert "Hovedbiblioteket" in listing and "on the municipal network" in listing

    report.write_text(json.dumps(staff_doc("crit")))
    r = run_tracker("network", "record", "--site", "hovedbibliotek", str(report))
    assert r.returncode == 1
    assert "staff network check failed" in r.stdout and "VPN adapter down" in r.stdout
    lib = _library(run_tracker)
    assert lib["network"]["state"] == "failed"
    assert any("Pas, " in b and ": staff network check failed" in b for b in lib["blocking"])


def _with_check(**fields: str) -> dict:
    doc = staff_doc()
    doc["checks"][1].update(fields)
    return doc


BAD = [
    ("kiosk", lambda: {**staff_doc(), "profile": "kiosk"}, "a 'kiosk' profile report"),
    ("escapes", lambda: staff_doc(host="laptop\x1b[2J\x1b]0;x\x07"),
     "host must be the laptop's host name"),
    ("long-host", lambda: staff_doc(host="h" * 254), "host must be the laptop's host name"),
    ("no-vpn", lambda: {**staff_doc(), "checks": []}, "no `vpn` check"),
    ("edited", lambda: _with_check(status="crit"), "verdict 'ok' does not match its checks"),
    ("status", lambda: _with_check(status="fine"), "checks[1].status: must be one of"),
    ("detail", lambda: _with_check(detail=None), "checks[1].detail: must be a string"),
    ("config", lambda: {**staff_doc("unknown"), "checks": [
        {"name": "config", "category": "health", "status": "unknown",
         "detail": "bad config: staff.toml: timeout: must be a number"}]},
     "the agent did not check the network: bad config: staff.toml: timeout"),
    ("old-agent", lambda: {k: v for k, v in staff_doc().items() if k != "profile"},
     "a 'kiosk' profile report"),
    ("future", lambda: staff_doc(at=datetime.now(UTC) + timedelta(hours=2)), "in the future"),
    ("verdict", lambda: {**staff_doc(), "verdict": "fine"}, "verdict must be one of"),
    ("not-json", lambda: "{", "not a kiosk-agent JSON report"),
    ("huge", lambda: json.dumps(staff_doc()) + " " * 256 * 1024, "larger than a kiosk-agent"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "words"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_report_is_refused_and_nothing_is_written(
    run_tracker, tmp_path, db_path, name, make, words
):
    run_tracker("import", str(SAMPLE_CSV))  # creates the database
    report = tmp_path / f"{name}.json"
    doc = make()
    report.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    r = run_tracker("network", "record", "--site", "hovedbibliotek", str(report))
    assert r.returncode == 2
    assert f"{name}.json" in r.stderr and words in r.stderr
    assert len(r.stderr.splitlines()) == 1 and "\x1b" not in r.stderr
    assert _rows(db_path) == 0


def test_check_with_a_bad_agent_config_stores_nothing(run_tracker, tmp_path, db_path):
    """A typo in --config is not a failed network: the passing check stays the latest.
    (The agent stops at its configuration, so this sends no traffic.)"""
    run_tracker("import", str(SAMPLE_CSV))
    assert run_tracker("scenario", "start", "borgerservice_to_library").returncode == 0
    report = tmp_path / "laptop.json"
    report.write_text(json.dumps(staff_doc()))
    assert run_tracker("network", "record", "--site", "hovedbibliotek", str(report)).returncode == 0
    bad = tmp_path / "staff.toml"
    bad.write_text("[isolation]\ntargets = ['10.20.0.300:445']\n")
    for config in (bad, tmp_path / "absent.toml"):
        r = run_tracker("network", "check", "--site", "hovedbibliotek", "--config", str(config))
        assert r.returncode == 2, r.stdout + r.stderr
        assert "the agent did not check the network: bad config:" in r.stderr
        assert str(config) in r.stderr and len(r.stderr.splitlines()) == 1
    assert (
        "isolation.targets[0]"
        in run_tracker("network", "check", "--site", "hovedbibliotek", "--config", str(bad)).stderr
    )
    assert _rows(db_path) == 1
    assert _library(run_tracker)["network"]["state"] == "ok"


def test_unknown_site_is_refused(run_tracker, tmp_path, db_path):
    report = tmp_path / "laptop.json"
    report.write_text(json.dumps(staff_doc()))
    r = run_tracker("network", "record", "--site", "bibliotek", str(report))
    assert r.returncode == 2
    assert "unknown site 'bibliotek'" in r.stderr and "hovedbibliotek" in r.stderr
