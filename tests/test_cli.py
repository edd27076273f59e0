"""The `tracker` command as staff and scripts use it, through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import SAMPLE_CSV, tracker_exe


def _seed(run_tracker):
    r = run_tracker("import", str(SAMPLE_CSV))
    assert r.returncode == 0, r.stderr


def test_first_run_seeds_from_assets_csv(run_tracker, tmp_path, db_path, capsys, monkeypatch):
    (tmp_path / "assets.csv").write_bytes(SAMPLE_CSV.read_bytes())
    r = run_tracker("status")  # only the app (and import) make a database
    assert r.returncode == 2 and "no such database" in r.stderr
    monkeypatch.chdir(tmp_path)
    from tracker.cli.common import Context

    Context(str(db_path), None, seed=True, create=True).db.close()  # what `tracker` does first
    n = len(SAMPLE_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert f"seeded with {n} assets" in capsys.readouterr().err
    r = run_tracker("status")
    assert r.returncode == 0, r.stderr
    assert "Rådhuset" in r.stdout and "Pas" in r.stdout
    assert "seeded" not in r.stderr


def test_scan_status_history_round(run_tracker):
    _seed(run_tracker)
    r = run_tracker(
        "scan", "eks+pas+001", "--site", "raadhus", "--step", "packed", "--operator", "Ida"
    )
    assert r.returncode == 0, r.stderr
    assert "EKS-PAS-001 Pasarbejdsstation 1 (skranke 1): packed at Rådhuset" in r.stdout
    status = json.loads(run_tracker("status", "--json").stdout)
    raadhus = next(s for s in status["sites"] if s["id"] == "raadhus")
    passports = next(f for f in raadhus["functions"] if f["id"] == "passports")
    assert {k: passports[k] for k in ("state", "have", "min", "target")} == {
        "state": "ready",
        "have": 2,
        "min": 1,
        "target": 2,
    }
    assert set(raadhus) >= {"id", "name", "functions"}
    history = json.loads(run_tracker("history", "EKS-PAS-001", "--json").stdout)
    assert [(h["step"], h["site"], h["operator"]) for h in history] == [
        ("packed", "raadhus", "Ida")
    ]
    assert all("at" in h for h in history)


def test_unknown_code_exits_1_and_is_logged(run_tracker):
    _seed(run_tracker)
    r = run_tracker("scan", "NOPE-1", "--site", "raadhus", "--step", "arrived")
    assert r.returncode == 1
    assert "unknown code 'NOPE-1'" in r.stderr
    log = json.loads(run_tracker("unknown", "--json").stdout)
    assert [u["code"] for u in log] == ["NOPE-1"]


def test_bad_site_is_a_usage_error(run_tracker):
    _seed(run_tracker)
    r = run_tracker("scan", "EKS-PAS-001", "--site", "mars", "--step", "arrived")
    assert r.returncode == 2 and "unknown site 'mars'" in r.stderr


def test_scenario_list_start_show_end(run_tracker):
    _seed(run_tracker)
    r = run_tracker("scenario", "list")
    assert "borgerservice_to_library" in r.stdout and "short_incident" in r.stdout
    r = run_tracker("scenario", "start", "borgerservice_to_library")
    assert r.returncode == 0 and "13 item(s) to move" in r.stdout
    r = run_tracker("scenario", "start", "short_incident")
    assert r.returncode == 2 and "end it first" in r.stderr
    status = json.loads(run_tracker("status", "--json").stdout)
    assert status["scenario"] == "borgerservice_to_library"
    r = run_tracker("scenario", "show")
    assert "at_origin: 13" in r.stdout
    r = run_tracker("scenario", "end")
    assert r.returncode == 0 and "closed" in r.stdout  # nothing had moved yet


def test_data_with_markup_and_escape_sequences_prints_literally(run_tracker, tmp_path):
    csv = tmp_path / "evil.csv"
    csv.write_text(
        "tag,kind,name,serial,site,step,hostname,notes\n"
        "EV-1,laptop,[red]x \x1b[31mred\x1b[0m\x07,S,raadhus,,,\n",
        encoding="utf-8",
    )
    assert run_tracker("import", str(csv)).returncode == 0
    r = run_tracker("scan", "EV-1", "--site", "raadhus", "--step", "packed")
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "[red]x \\x1b[31mred\\x1b[0m\\x07" in r.stdout
    r = run_tracker("history", "EV-1")
    assert "\x1b" not in r.stdout and "[red]x" in r.stdout


def test_python_dash_m_works(db_path):
    r = subprocess.run(
        [sys.executable, "-m", "tracker", "--db", str(db_path), "scenario", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "branch_closed" in r.stdout


def test_fast_commands_do_not_import_heavy_modules(run_tracker, db_path):
    """`scan`, `status` and `import` start without Textual, paramiko or Pillow."""
    probe = textwrap.dedent(
        f"""
        import sys
        from tracker.cli import main
        for argv in (["status"], ["scan", "X", "--site", "raadhus", "--step", "packed"],
                     ["import", {str(SAMPLE_CSV)!r}]):
            main(["--db", {str(db_path)!r}, *argv])
        heavy = sorted(m for m in ("textual", "paramiko", "PIL", "qrcode", "rich")
                       if m in sys.modules)
        print("HEAVY", heavy)
        """
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in r.stdout, r.stdout + r.stderr


def test_a_scan_imports_neither_sqlite_utils_nor_tomllib_nor_typing(seeded_db, db_path):
    """What a scan does not need costs it: sqlite-utils ~45 ms (a scan writes plain SQL through
    `tracker.database`), tomllib 5 ms (the plan parsed before comes from `plan_cache`), typing
    2 ms (annotations only)."""
    probe = textwrap.dedent(
        f"""
        import sys
        from tracker.cli import main
        code = main(["--db", {str(db_path)!r}, "scan", sys.argv[1], "--site", "raadhus",
                     "--step", "packed"])
        print("CODE", code, sorted(m for m in ("sqlite_utils", "tomllib", "typing")
                                   if m in sys.modules))
        """
    )
    for tag in ("EKS-PAS-001", "EKS-PAS-002"):  # the first parses the plan, the second not
        r = subprocess.run(
            [sys.executable, "-c", probe, tag], capture_output=True, text=True, timeout=60
        )
    assert "CODE 0 []" in r.stdout, r.stdout + r.stderr


def test_each_command_is_in_the_family_that_registers_it():
    """A command runs with its family alone (`EXTENSIONS` names each family's commands): a name
    missing there would only show when that command failed as unknown."""
    import argparse

    from tracker.cli.main import EXTENSIONS, build_parser

    for family, names in EXTENSIONS.items():
        sub = argparse.ArgumentParser().add_subparsers()
        __import__(family, fromlist=["register"]).register(sub)
        assert sorted(sub.choices) == sorted(names), family
    for argv, command, db in (
        (["status"], "status", None),
        (["--db", "scan", "status"], "status", "scan"),
        (["--d", "undo", "--pl", "scan", "status"], "status", "undo"),
        (["--db=scan", "undo"], "undo", "scan"),
    ):
        args = build_parser(argv).parse_args(argv)
        assert (args.command, args.db) == (command, db), argv
    for argv in (["-h", "scan"], ["--db", "x", "--hel", "scan"]):
        assert "history" in build_parser(argv).format_help(), argv  # every command listed


def test_console_script_is_installed():
    assert tracker_exe()[0].endswith("tracker"), "pip install -e . provides the tracker command"
