"""`tracker audit`: a stocktake of a site through the real command, two stations at once."""

from __future__ import annotations

import csv
import json
import subprocess

from tests.conftest import SAMPLE_CSV, tracker_exe


def _at(site: str) -> set[str]:
    """The sample inventory's tags at `site` (kit parts have labels of their own)."""
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as f:
        return {row["tag"] for row in csv.DictReader(f) if row["site"] == site}


RAADHUS = _at("raadhus")


def _history(run_tracker, tag: str) -> list[dict]:
    return json.loads(run_tracker("history", tag, "--json").stdout)


def test_stocktake_found_missing_unexpected_unknown(run_tracker):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    r = run_tracker("audit", "scan", "raadhus", "EKS-PAS-001")
    assert r.returncode == 2 and "tracker audit start raadhus" in r.stderr
    assert run_tracker("audit", "start", "raadhus").returncode == 0
    seen = sorted(RAADHUS - {"EKS-PAS-003", "EKS-HS-003"})
    r = run_tracker("audit", "scan", "raadhus", *seen)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("FOUND") == len(seen)
    # A laptop recorded at the library stands in the city hall; a code matching nothing.
    r = run_tracker("audit", "scan", "raadhus", "eks+bar+005", "EKS-ZZZ-9", "EKS-PAS-0O1")
    assert r.returncode == 1
    assert "UNEXPECTED here, was recorded at Hovedbiblioteket" in r.stdout
    assert "did you mean EKS-PAS-001?" in r.stderr
    r = run_tracker("audit", "scan", "raadhus", "EKS-PAS-001")
    assert "REPEAT" in r.stdout and "seen already" in r.stdout

    r = run_tracker("audit", "close", "raadhus", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "site": "raadhus",
        "found": seen,
        "missing": ["EKS-HS-003", "EKS-PAS-003"],
        "unexpected": ["EKS-BAR-005"],
        "unknown": ["EKS-ZZZ-9", "EKS-PAS-0O1"],
    }
    # The unexpected laptop's site is corrected by a flagged event; no step changed anywhere.
    *_, last = _history(run_tracker, "EKS-BAR-005")
    assert (last["action"], last["site"], last["prev_site"], last["flag"]) == (
        "seen",
        "raadhus",
        "hovedbibliotek",
        "unexpected_site",
    )
    assert last["step"] == last["prev_step"] == "in_service"
    status = json.loads(run_tracker("status", "--json").stdout)
    assert status  # readiness still reads
    assert all(e["step"] == "in_service" for t in seen for e in _history(run_tracker, t))
    unknown = [u["code"] for u in json.loads(run_tracker("unknown", "--json").stdout)]
    assert {"EKS-ZZZ-9", "EKS-PAS-0O1"} <= set(unknown)

    show = run_tracker("audit", "show", "raadhus")
    assert "closed" in show.stdout and "2 missing" in show.stdout
    assert "missing    EKS-PAS-003" in show.stdout
    assert run_tracker("audit", "close", "raadhus").returncode == 2  # nothing open any more


def test_two_stations_audit_one_site_at_once(run_tracker, db_path):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    assert run_tracker("audit", "start", "raadhus", "--station", "door").returncode == 0
    r = run_tracker("audit", "start", "raadhus", "--station", "window")
    assert r.returncode == 0 and "is open since" in r.stdout  # the second station joins
    tags = sorted(RAADHUS)
    halves = {"door": tags[:9], "window": tags[5:]}  # four seen by both
    procs = [
        subprocess.Popen(
            [*tracker_exe(), "--db", str(db_path), "audit", "scan", "raadhus", "--station", name]
            + codes,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, codes in halves.items()
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all("locked" not in err for _out, err in outputs), outputs
    found_lines = sum(out.count("FOUND") for out, _err in outputs)
    repeat_lines = sum(out.count("REPEAT") for out, _err in outputs)
    assert (found_lines, repeat_lines) == (len(tags), 4)  # every overlap seen once
    result = json.loads(run_tracker("audit", "close", "raadhus", "--json").stdout)
    assert result["found"] == tags and result["missing"] == [] and result["unexpected"] == []
    for tag in tags:  # one sighting each in the history, by whichever station came first
        assert [e["action"] for e in _history(run_tracker, tag)] == ["seen"]


def test_mark_and_notes_from_the_command_line(run_tracker):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    r = run_tracker("mark", "eks-kio-001", "faulty", "--note", "skærmen blinker")
    assert r.returncode == 0 and "marked faulty at Rådhuset (skærmen blinker)" in r.stdout
    *_, last = _history(run_tracker, "EKS-KIO-001")
    assert (last["action"], last["step"], last["note"]) == ("mark", "faulty", "skærmen blinker")
    r = run_tracker("notes", "EKS-KIO-001", "Til service")
    assert r.returncode == 0 and "Til service" in r.stdout
    assert run_tracker("mark", "NOPE-1", "missing").returncode == 1


def test_report_has_a_section_per_closed_stocktake(run_tracker, tmp_path):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    run_tracker("audit", "start", "hovedbibliotek")
    run_tracker("audit", "scan", "hovedbibliotek", "EKS-PRN-002", "EKS-BAR-001", "ZZ-<b>")
    run_tracker("audit", "close", "hovedbibliotek")
    out = tmp_path / "r.html"
    assert run_tracker("report", "--out", str(out)).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "Stocktake of Hovedbiblioteket" in page
    section = page[page.index('id="stocktake-1"') :]
    section = section[: section.index("</section>")]
    assert "missing (not seen)" in section and "EKS-KIO-003" in section
    assert "unexpected (site corrected)" in section and "EKS-BAR-001" in section
    assert "ZZ-&lt;b&gt;" in section and "<b>" not in section
