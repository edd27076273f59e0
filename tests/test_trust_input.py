"""Bad input gets one line, the right exit status, and writes nothing (issue 10, items 5-7,
10-12), through the real `tracker` and `kiosk-agent` commands."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, SAMPLE_CSV, tracker_exe


def _seed(run_tracker) -> None:
    r = run_tracker("import", str(SAMPLE_CSV))
    assert r.returncode == 0, r.stderr


def _one_line(r: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# --- 5. formulas are neutralised on export and restored on import -----------------------------

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "'quoted",
    "''=twice",
    "plain, with comma",
]


def test_spreadsheet_cells_round_trip_exactly():
    from tracker.inventory.cells import from_spreadsheet, spreadsheet_safe

    for text in [*HOSTILE, "\tTAB=1", "\r=1", "", "it's", "'", "''", "=", "a=b"]:
        cell = spreadsheet_safe(text)
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert from_spreadsheet(cell) == text


@pytest.mark.parametrize("fmt", ["tracker", "snipeit"])
def test_export_neutralises_formulas_and_import_gives_back_the_text(run_tracker, tmp_path, fmt):
    src = tmp_path / "hostile.csv"
    with open(src, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tag", "kind", "name", "site", "notes"])
        for i, name in enumerate(HOSTILE):
            w.writerow([f"HX-{i}", "laptop", name, "raadhus", name])
    r = run_tracker("import", str(src))
    assert r.returncode == 0, r.stderr
    out = tmp_path / f"export-{fmt}.csv"
    assert run_tracker("export", str(out), "--format", fmt).returncode == 0
    cells = [c for row in csv.reader(io.StringIO(out.read_text())) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t"))]
    # Into a fresh database and out again: the same text, the same file.
    other = tmp_path / "other.db"
    r = subprocess.run(
        [*tracker_exe(), "--db", str(other), "import", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    again = tmp_path / "again.csv"
    subprocess.run(
        [*tracker_exe(), "--db", str(other), "export", str(again), "--format", fmt],
        check=True,
        timeout=60,
    )
    assert again.read_bytes() == out.read_bytes()
    # (A quote typed before a formula in a hand-made file means the text, as in a spreadsheet:
    # "''=twice" was imported as "'=twice" in the first place.)
    for i, name in enumerate(HOSTILE):
        if name.startswith("'"):
            continue
        h = subprocess.run(
            [*tracker_exe(), "--db", str(other), "history", f"HX-{i}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert name in h.stdout, (name, h.stdout)


# --- 6. encodings ----------------------------------------------------------------------------


def test_one_windows_1252_line_in_a_utf8_file(run_tracker, tmp_path, db_path):
    _seed(run_tracker)
    f = tmp_path / "mixed.csv"
    f.write_bytes(
        b"tag,kind,name,site\n"
        + "ENC-1,laptop,Skærm på Rådhuset,raadhus\n".encode()
        + "ENC-2,laptop,Østre fløj,raadhus\n".encode("cp1252")
        + "ENC-3,laptop,Bibliotekets åbne PC,raadhus\n".encode()
    )
    r = run_tracker("import", str(f))
    assert r.returncode == 1, r.stderr  # imported, but look at line 3
    assert "line(s) 3 read as Windows-1252" in r.stderr
    export = run_tracker("export", "-").stdout
    assert "Skærm på Rådhuset" in export and "Østre fløj" in export
    assert "Bibliotekets åbne PC" in export and "Ã" not in export


def test_a_byte_neither_utf8_nor_windows_1252_names_its_line(run_tracker, tmp_path, db_path):
    _seed(run_tracker)
    before = run_tracker("export", "-").stdout
    f = tmp_path / "bad.csv"
    f.write_bytes(
        b"tag,kind,name,site\nENC-1,laptop,PC \xc3\xa6,raadhus\nENC-2,laptop,PC \x81,raadhus\n"
    )
    r = run_tracker("import", str(f))
    assert r.returncode == 2
    line = _one_line(r)
    assert f"{f}:3:" in line and "0x81" in line
    assert run_tracker("export", "-").stdout == before


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_bom_imports(run_tracker, tmp_path, codec):
    _seed(run_tracker)
    text = "tag\tkind\tname\tsite\r\nU16-1\tlaptop\tSkærm æøå\traadhus\r\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    f = tmp_path / "excel-unicode.txt"
    f.write_bytes(data)
    r = run_tracker("import", str(f))
    assert r.returncode == 0, r.stderr
    assert "Skærm æøå" in run_tracker("history", "U16-1").stdout


def test_a_binary_file_gets_one_short_line(run_tracker, tmp_path):
    _seed(run_tracker)
    f = tmp_path / "photo.csv"
    f.write_bytes(bytes(range(256)) * 4000)
    r = run_tracker("import", str(f))
    assert r.returncode == 2
    assert len(_one_line(r)) < 400


def test_rows_of_junk_are_listed_capped(run_tracker, tmp_path):
    _seed(run_tracker)
    f = tmp_path / "junk.csv"
    junk = "x" * 100_000
    f.write_text("tag,kind,name,site\n" + "".join(f"?{junk},a,b,c\n" for _ in range(500)))
    r = run_tracker("import", str(f))
    assert r.returncode == 2
    assert len(r.stderr) < 30_000 and "more problem(s)" in r.stderr
    assert "Traceback" not in r.stderr


# --- 8 (input part). a field over the csv module's limit ---------------------------------------


def test_a_field_over_the_csv_size_limit_imports(run_tracker, tmp_path):
    _seed(run_tracker)
    notes = "n" * 300_000  # the csv module's default limit is 131072
    f = tmp_path / "long.csv"
    f.write_text(f'tag,kind,name,site,notes\nLONG-1,laptop,PC,raadhus,"{notes}"\n')
    r = run_tracker("import", str(f))
    assert r.returncode == 0, r.stderr


# --- 11. duplicate header names ---------------------------------------------------------------


def test_a_column_named_twice_is_a_header_error(run_tracker, tmp_path):
    _seed(run_tracker)
    before = run_tracker("export", "-").stdout
    f = tmp_path / "twice.csv"
    f.write_text("tag,kind,name,site,notes,Tag\nEKS-PAS-001,laptop,X,raadhus,n,OTHER-1\n")
    r = run_tracker("import", str(f))
    assert r.returncode == 2
    assert "column 'Tag' appears twice (columns 1 and 6)" in r.stderr
    assert run_tracker("export", "-").stdout == before


# --- 10. scanned codes: no Unicode case mapping ------------------------------------------------


def test_codes_that_only_unicode_case_mapping_would_match_are_unknown(run_tracker, tmp_path):
    _seed(run_tracker)
    f = tmp_path / "ss.csv"
    f.write_text("tag,kind,name,site\nSS-1,laptop,PC SS,raadhus\nFI-1,laptop,PC FI,raadhus\n")
    assert run_tracker("import", str(f)).returncode == 0
    for code in ("ß-1", "ﬁ-1", "ss-1\u00ad", "ＳＳ-1"):
        r = run_tracker("scan", code, "--site", "raadhus", "--step", "packed")
        assert r.returncode == 1, (code, r.stdout, r.stderr)
        assert "unknown code" in r.stderr
    # What a scanner on the other keyboard layout types still finds the asset.
    for code in ("ss+1", "SS-1", " ss 1 "):
        r = run_tracker("scan", code, "--site", "raadhus", "--step", "packed")
        assert "SS-1" in r.stdout and "unknown" not in r.stderr, (code, r.stderr)
    history = json.loads(run_tracker("history", "SS-1", "--json").stdout)
    assert len(history) == 1


# --- 12. control characters and bidi overrides are shown, not obeyed --------------------------


def _on_a_terminal(args: list[str]) -> str:
    """Run a command with its stdout on a pseudo-terminal; what the terminal received."""
    main, child = pty.openpty()
    proc = subprocess.Popen(args, stdout=child, stderr=subprocess.PIPE)
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(30)
    os.close(main)
    return b"".join(chunks).decode()


def test_escapes_and_bidi_overrides_are_visible(run_tracker, tmp_path, db_path):
    _seed(run_tracker)
    f = tmp_path / "evil.csv"
    name = "Bad\x1b[31mred\x07 \u202egnp.exe"
    with open(f, "w", newline="") as fh:
        csv.writer(fh).writerow(["tag", "kind", "name", "site"])
        csv.writer(fh).writerow(["EVIL-1", "laptop", name, "raadhus"])
    assert run_tracker("import", str(f)).returncode == 0
    shown = _on_a_terminal([*tracker_exe(), "--db", str(db_path), "export", "-"])
    assert "EVIL-1" in shown
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b[31mred\\x07 \\u202egnp.exe" in shown
    # To a file or a pipe the export is the data, exactly.
    assert name in run_tracker("export", "-").stdout
    history = run_tracker("history", "EVIL-1").stdout
    assert "\u202e" not in history and "\\u202egnp.exe" in history
    # JSON to a terminal too (to a pipe it is the data: a JSON parser reads it).
    shown = _on_a_terminal([*tracker_exe(), "--db", str(db_path), "unknown", "--json"])
    assert shown.strip().startswith("[")
    assert run_tracker("scan", name, "--site", "raadhus", "--step", "packed").returncode == 1
    shown = _on_a_terminal([*tracker_exe(), "--db", str(db_path), "unknown", "--json"])
    assert "\u202e" not in shown and "\\u202egnp.exe" in shown
    piped = json.loads(run_tracker("unknown", "--json").stdout)
    assert piped[0]["code"] == name.strip()
    assert run_tracker("report", "--out", "r.html").returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert "\u202e" not in page and "\x1b" not in page


# --- 7. numbers that are not numbers -----------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "1e20", "-1", "0", "²"])
def test_kiosk_check_timeout_must_be_a_finite_number(run_tracker, value):
    _seed(run_tracker)
    r = run_tracker("kiosks", "check", "--all", "--timeout", value)
    assert r.returncode == 2, r.stdout
    assert "--timeout" in r.stderr and "Traceback" not in r.stderr
    assert "no kiosks to check" not in r.stdout


@pytest.mark.parametrize("value", ["1e20", "100000000000000000000", "nan", "0"])
def test_unknown_limit_must_be_a_sensible_whole_number(run_tracker, value):
    _seed(run_tracker)
    r = run_tracker("unknown", "--limit", value)
    assert r.returncode == 2 and "--limit" in r.stderr and "Traceback" not in r.stderr


PLAN = (REPO / "tracker" / "default_plan.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("interval_minutes = 15", "interval_minutes = nan", "interval_minutes"),
        ("interval_minutes = 15", "interval_minutes = inf", "interval_minutes"),
        ("count = 2", "count = 100000000", "count"),
    ],
)
def test_plan_numbers_must_be_finite_and_bounded(run_tracker, tmp_path, old, new, said):
    _seed(run_tracker)
    assert old in PLAN
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.replace(old, new, 1))
    r = run_tracker("--plan", str(plan), "status")
    assert r.returncode == 2
    assert said in _one_line(r)


AGENT_CONFIG = """\
timeout = 2
[internet]
check_urls = [{ url = "http://127.0.0.1:9/" }]
[isolation]
targets = ["127.0.0.1:9"]
[health]
min_free_disk_mb = 10
"""


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("timeout = 2", "timeout = nan", "timeout"),
        ("min_free_disk_mb = 10", "min_free_disk_mb = inf", "min_free_disk_mb"),
        ('"127.0.0.1:9"]', '"127.0.0.1:²"]', "targets[0]"),
        ('"127.0.0.1:9"]', '"127.0.0.1:' + "9" * 5000 + '"]', "targets[0]"),
        ('"http://127.0.0.1:9/"', '"http://[::1"', "check_urls[0].url"),
        ('"http://127.0.0.1:9/"', '"http://127.0.0.1:99999/"', "check_urls[0].url"),
    ],
)
def test_agent_config_with_a_bad_number_is_unknown_with_a_report(tmp_path, old, new, said):
    config = tmp_path / "agent.toml"
    assert old in AGENT_CONFIG
    config.write_text(AGENT_CONFIG.replace(old, new))
    r = subprocess.run(
        [sys.executable, "-m", "kiosk_agent", "check", "--json", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert r.returncode == 3, r.stderr
    line = _one_line(r)
    assert "bad configuration" in line and said in line
    report = json.loads(r.stdout)
    assert report["verdict"] == "unknown" and said in report["checks"][0]["detail"]


def test_agent_validator_is_the_trackers():
    ours = (REPO / "tracker" / "validate.py").read_text()
    agents = (REPO / "kiosk_agent" / "validate.py").read_text()
    assert agents == ours, "kiosk_agent/validate.py must stay a copy of tracker/validate.py"


def test_a_failure_finding_kiosks_is_an_error_not_nothing_to_do():
    from tracker.fleet.checks import FleetError, run_pool

    def items():
        yield from ()
        raise OverflowError("timeout too large")

    with pytest.raises(FleetError, match="timeout too large"):
        run_pool(items(), lambda x: x, lambda x, e: x, parallel=2)


def test_readme_documents_the_exit_statuses():
    readme = (REPO / "README.md").read_text()
    for row in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert row in readme
    assert textwrap.dedent("not recorded") in readme
    assert Path(REPO / "README.md").exists()
