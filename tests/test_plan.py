"""The plan file: the packaged default reflects the contingency plan; bad files fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.plan import PlanError, default_plan_path, load_plan


def test_default_plan_has_the_plans_sites_kinds_functions_and_scenarios(plan):
    assert {"raadhus", "hovedbibliotek", "hjemme"} <= set(plan.sites)
    assert plan.sites["raadhus"].name == "Rådhuset"
    branches = [
        s for s in plan.sites.values() if "Bibliotek" in s.name and s.id != "hovedbibliotek"
    ]
    assert len(branches) >= 2
    assert {"pass_ws", "mitid_ws", "printer", "kiosk", "laptop", "headset"} <= set(plan.kinds)
    assert plan.kinds["kiosk"].kiosk and not plan.kinds["laptop"].kiosk
    expected = {
        "loans",
        "phone_line",
        "digital_mail",
        "physical_mail",
        "passports",
        "driving_licences",
        "civil_registration",
        "mitid",
        "emergency_weddings",
        "self_service",
    }
    assert expected <= set(plan.functions)
    passports = plan.functions["passports"].requires[0]
    assert (passports.kind, passports.min, passports.target) == ("pass_ws", 1, 2)
    assert plan.functions["emergency_weddings"].requires[0].kind == "printer"
    assert {"short_incident", "long_incident", "borgerservice_to_library", "branch_closed"} <= set(
        plan.scenarios
    )
    assert plan.contacts and all(c.phone for c in plan.contacts)


def test_borgerservice_move_sends_the_plans_minimum_equipment_to_the_library(plan):
    sc = plan.scenarios["borgerservice_to_library"]
    to_library = {m.kind: m.count for m in sc.moves if m.to == "hovedbibliotek"}
    assert to_library["pass_ws"] >= 1 and to_library["mitid_ws"] == 1
    assert to_library["kiosk"] == 1 and to_library["printer"] == 1
    hosted = plan.site_functions(sc)
    assert hosted["raadhus"] == ()
    assert {"passports", "mitid", "self_service", "emergency_weddings"} <= set(
        hosted["hovedbibliotek"]
    )


def test_short_incident_runs_only_phone_and_digital_mail_from_home(plan):
    hosted = plan.site_functions(plan.scenarios["short_incident"])
    assert set(hosted["hjemme"]) == {"phone_line", "digital_mail"}
    assert hosted["raadhus"] == ()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "plan.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = default_plan_path().read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'kind = "pass_ws", min = 1, target = 2',
            'kind = "pas", min = 1, target = 2',
            "functions[4].requires[0].kind: unknown kind 'pas'",
        ),
        (
            'kind = "pass_ws", min = 1, target = 2',
            'kind = "pass_ws", min = 3, target = 2',
            "functions[4].requires[0]: need 0 <= min <= target",
        ),
        (
            'kind = "pass_ws", min = 1, target = 2',
            'kind = "pass_ws", min = "1", target = 2',
            "functions[4].requires[0].min: expected int, got a string",
        ),
        (
            "interval_minutes = 15",
            'interval_minutes = 15\ncolour = "red"',
            "kiosk_checks.colour: unknown key",
        ),
        ('id = "bib_nord"', 'id = "raadhus"', "sites[2].id: duplicate id 'raadhus'"),
        (
            'id = "bib_nord"',
            'id = "Raad_hus"',
            "sites[2].id: 'Raad_hus' would print the same site label as 'raadhus' (LOC.RAADHUS)",
        ),
        (
            '{ kind = "pass_ws", count = 2, from = "raadhus", to = "hovedbibliotek" }',
            '{ kind = "pass_ws", count = 2, from = "raadhus", to = "biblioteket" }',
            "scenarios[2].moves[0].to: unknown site 'biblioteket'",
        ),
        ('name = "Eksempel Kommune"', 'name = ""', "municipality.name: must not be empty"),
    ],
)
def test_malformed_plan_names_file_key_path_and_problem(tmp_path, old, new, expected):
    path = _broken(tmp_path, old, new)
    with pytest.raises(PlanError) as e:
        load_plan(path)
    assert str(e.value).startswith(f"{path}: ")
    assert expected in str(e.value)


def test_invalid_toml_and_missing_file(tmp_path):
    bad = _write(tmp_path, "[municipality\nname = 1")
    with pytest.raises(PlanError, match=r"plan.toml: invalid TOML"):
        load_plan(bad)
    with pytest.raises(PlanError, match=r"nope.toml: cannot read plan file"):
        load_plan(tmp_path / "nope.toml")


def test_kinds_are_extendable_by_the_file_alone(tmp_path):
    text = default_plan_path().read_text(encoding="utf-8")
    text += '\n[[kinds]]\nid = "scanner"\nname = "Stregkodelæser"\n'
    plan = load_plan(_write(tmp_path, text))
    assert plan.kinds["scanner"].name == "Stregkodelæser"


def test_cli_reports_a_broken_plan_without_traceback(tmp_path, run_tracker):
    path = _broken(tmp_path, 'id = "bib_nord"', 'id = "raadhus"')
    r = run_tracker("--plan", str(path), "status")
    assert r.returncode == 2
    assert f"{path}: sites[2].id: duplicate id 'raadhus'" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_plan_parsed_before_is_read_from_the_cache_until_its_bytes_change(tmp_path):
    """`plan_cache` keeps what tomllib made of a plan; an edit that keeps the size and the time
    stamps must still be seen, and a damaged or unwritable cache only costs the parse."""
    import os

    from tracker import plan_cache

    path = _write(tmp_path, default_plan_path().read_text(encoding="utf-8"))
    first = load_plan(path)
    assert list(plan_cache.folder().iterdir())
    assert plan_cache.get(path, path.read_bytes()) is not None
    assert load_plan(path) == first

    stamp = path.stat()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('name = "Rådhuset"', 'name = "Rådhusxt"'), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    assert load_plan(path).sites["raadhus"].name == "Rådhusxt"

    for entry in plan_cache.folder().iterdir():
        entry.write_bytes(b"\x00garbage")
    assert load_plan(path).sites["raadhus"].name == "Rådhusxt"


def test_a_plan_loads_where_no_cache_can_be_written(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x", encoding="utf-8")
    monkeypatch.setenv("TRACKER_CACHE_DIR", str(blocked / "cache"))
    path = _write(tmp_path, default_plan_path().read_text(encoding="utf-8"))
    assert load_plan(path) == load_plan(path)
    assert blocked.read_text(encoding="utf-8") == "x"


def test_the_plan_cache_keeps_the_newest_entries_only(tmp_path):
    """A plan in a temporary folder leaves an entry each time: the folder must not grow."""
    from tracker import plan_cache

    text = default_plan_path().read_text(encoding="utf-8")
    for i in range(plan_cache.KEEP + 5):
        (tmp_path / f"p{i}").mkdir()
        load_plan(_write(tmp_path / f"p{i}", text))
    kept = list(plan_cache.folder().iterdir())
    assert len(kept) == plan_cache.KEEP
    newest = tmp_path / f"p{plan_cache.KEEP + 4}" / "plan.toml"
    assert plan_cache.get(newest, newest.read_bytes()) is not None
