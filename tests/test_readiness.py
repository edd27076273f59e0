"""Readiness: which assets count, the three states, scenarios and kiosk checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker import moves, readiness, store
from tracker.scan import scan


def _fn(state, site_id, fn_id):
    site = next(s for s in state.sites if s.id == site_id)
    return next(f for f in site.functions if f.id == fn_id)


def test_states_follow_minimum_and_target(plan):
    counts = {("raadhus", "pass_ws"): 1, ("raadhus", "nemid_ws"): 0}
    state = readiness.evaluate(plan, None, counts)
    passports = _fn(state, "raadhus", "passports")
    assert (passports.state, passports.have, passports.min, passports.target) == (
        "degraded",
        1,
        1,
        2,
    )
    assert _fn(state, "raadhus", "nemid").state == "not_ready"
    state = readiness.evaluate(plan, None, {("raadhus", "pass_ws"): 2})
    assert _fn(state, "raadhus", "passports").state == "ready"


def test_function_is_as_ready_as_its_weakest_requirement(plan):
    counts = {("raadhus", "laptop"): 2, ("raadhus", "headset"): 0}
    phone = _fn(readiness.evaluate(plan, None, counts), "raadhus", "phone_line")
    assert (phone.state, phone.have, phone.target) == ("not_ready", 0, 2)
    assert {r.kind: r.state for r in phone.requirements} == {
        "laptop": "ready",
        "headset": "not_ready",
    }


def test_only_installed_or_in_service_assets_count(seeded_db, plan):
    assert _fn(readiness.compute(seeded_db, plan), "raadhus", "nemid").state == "ready"
    scan(seeded_db, plan, "EKS-NID-001", site="raadhus", step="packed")
    assert _fn(readiness.compute(seeded_db, plan), "raadhus", "nemid").state == "not_ready"
    scan(seeded_db, plan, "EKS-NID-001", site="hovedbibliotek", step="arrived")
    moves.start(seeded_db, plan, "borgerservice_to_library")
    state = readiness.compute(seeded_db, plan)
    assert _fn(state, "hovedbibliotek", "nemid").state == "not_ready"  # arrived, not installed
    scan(seeded_db, plan, "EKS-NID-001", site="hovedbibliotek", step="installed")
    assert _fn(readiness.compute(seeded_db, plan), "hovedbibliotek", "nemid").state == "ready"


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
