"""Readiness: which assets count, the three states, scenarios and kiosk checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from staff_reports import staff_doc

from tracker import moves, network, readiness, store
from tracker.scan import scan


def _fn(state, site_id, fn_id):
    site = next(s for s in state.sites if s.id == site_id)
    return next(f for f in site.functions if f.id == fn_id)


def test_states_follow_minimum_and_target(plan):
    counts = {("raadhus", "pass_ws"): 1, ("raadhus", "mitid_ws"): 0}
    state = readiness.evaluate(plan, None, counts)
    passports = _fn(state, "raadhus", "passports")
    assert (passports.state, passports.have, passports.min, passports.target) == (
        "degraded",
        1,
        1,
        2,
    )
    assert _fn(state, "raadhus", "mitid").state == "not_ready"
    state = readiness.evaluate(plan, None, {("raadhus", "pass_ws"): 2})
    assert _fn(state, "raadhus", "passports").state == "ready"


def test_function_is_as_ready_as_its_weakest_requirement(plan):
    counts = {("raadhus", "laptop"): 5, ("raadhus", "headset"): 0}
    phone = _fn(readiness.evaluate(plan, None, counts), "raadhus", "phone_line")
    assert (phone.state, phone.have, phone.target) == ("not_ready", 0, 2)
    assert {r.kind: r.state for r in phone.requirements} == {
        "laptop": "ready",
        "headset": "not_ready",
    }


def test_only_installed_or_in_service_assets_count(seeded_db, plan):
    assert _fn(readiness.compute(seeded_db, plan), "raadhus", "mitid").state == "ready"
    scan(seeded_db, plan, "EKS-NID-001", site="raadhus", step="packed")
    assert _fn(readiness.compute(seeded_db, plan), "raadhus", "mitid").state == "not_ready"
    scan(seeded_db, plan, "EKS-NID-001", site="hovedbibliotek", step="arrived")
    moves.start(seeded_db, plan, "borgerservice_to_library")
    state = readiness.compute(seeded_db, plan)
    assert _fn(state, "hovedbibliotek", "mitid").state == "not_ready"  # arrived, not installed
    scan(seeded_db, plan, "EKS-NID-001", site="hovedbibliotek", step="installed")
    # Installed, but MitID work needs the VPN: not before a staff network check passed there.
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "mitid").state == "not_ready"
    network.record(seeded_db, plan, "hovedbibliotek", staff_doc(), "check")
    # ... and its stock of code displays.
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "mitid").state == "not_ready"
    scan(seeded_db, plan, "EKS-MID-001", site="hovedbibliotek", step="installed")
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "mitid").state == "ready"


def test_active_scenario_decides_which_sites_and_functions_show(seeded_db, plan):
    normal = readiness.compute(seeded_db, plan)
    assert "raadhus" in [s.id for s in normal.sites]
    assert "hjemme" not in [s.id for s in normal.sites]
    moves.start(seeded_db, plan, "short_incident")
    state = readiness.compute(seeded_db, plan)
    ids = [s.id for s in state.sites]
    assert "raadhus" not in ids and "hjemme" in ids
    assert {f.id for f in next(s for s in state.sites if s.id == "hjemme").functions} == {
        "phone_line",
        "digital_mail",
    }
    assert state.as_json()["scenario"] == "short_incident"
    assert "raadhus" in [s.id for s in readiness.compute(seeded_db, plan, all_sites=True).sites]


def test_kiosk_counts_only_with_a_fresh_passing_check(seeded_db, plan):
    def self_service():
        return _fn(readiness.compute(seeded_db, plan), "raadhus", "self_service")

    assert self_service().state == "not_ready"  # never checked
    store.record_kiosk_result(
        seeded_db, tag="EKS-KIO-001", host="h", verdict="crit", detail="route leaks", report=None
    )
    assert self_service().state == "not_ready"
    store.record_kiosk_result(
        seeded_db, tag="EKS-KIO-001", host="h", verdict="ok", detail="", report="{}"
    )
    assert (self_service().state, self_service().have) == ("ready", 1)
    stale = datetime.now(UTC) - timedelta(minutes=2 * plan.kiosk_interval_minutes + 1)
    store.record_kiosk_result(
        seeded_db,
        tag="EKS-KIO-001",
        host="h",
        verdict="ok",
        detail="",
        report="{}",
        checked_at=stale.isoformat(timespec="milliseconds"),
    )
    assert self_service().state == "not_ready"
    assert len(store.kiosk_history(seeded_db, "EKS-KIO-001")) == 3


def test_municipal_network_functions_need_a_fresh_passing_staff_check(seeded_db, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    for step in ("packed", "installed"):
        scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step=step)

    def library():
        return next(s for s in readiness.compute(seeded_db, plan).sites if s.id == "hovedbibliotek")

    site = library()
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "passports").state == (
        "not_ready"
    )
    assert site.network.state == "missing"
    # One line names every function waiting for the staff network.
    (waiting,) = [b for b in site.blocking if b.endswith(": no staff network check")]
    assert waiting.startswith("Pas, Kørekort, MitID")
    # Functions that do not need the municipal network are untouched.
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "loans").state == "ready"

    old = datetime.now(UTC) - timedelta(minutes=plan.network_interval_minutes + 1)
    network.record(seeded_db, plan, "hovedbibliotek", staff_doc(at=old), "check")
    assert library().network.state == "stale"
    assert any(
        b.startswith("Pas, ") and ": staff network check too old" in b for b in library().blocking
    )

    network.record(seeded_db, plan, "hovedbibliotek", staff_doc(), "check")
    site = library()
    assert site.network.state == "ok"
    assert not any("staff network" in b for b in site.blocking)
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "passports").state == (
        "degraded"
    )

    network.record(seeded_db, plan, "hovedbibliotek", staff_doc("crit"), "laptop.json")
    site = library()
    assert site.network.state == "failed"
    assert "VPN adapter down: wg0" in site.network.detail
    assert any("staff network check failed" in b for b in site.blocking)
    doc = readiness.compute(seeded_db, plan).as_json()
    lib = next(s for s in doc["sites"] if s["id"] == "hovedbibliotek")
    assert lib["network"]["state"] == "failed"
    assert lib["blocking"] and all(isinstance(b, str) for b in lib["blocking"])


def test_sites_on_the_municipal_lan_need_no_staff_check(seeded_db, plan):
    state = readiness.compute(seeded_db, plan)
    town_hall = next(s for s in state.sites if s.id == "raadhus")
    assert town_hall.network.state == "not_needed"
    assert not any("staff network" in b for b in town_hall.blocking)
    assert _fn(state, "raadhus", "passports").state == "ready"
