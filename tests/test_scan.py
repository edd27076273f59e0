"""The scan code path: code resolution, the move workflow, flags, the unknown log and undo."""

from __future__ import annotations

import pytest

from tracker import codes, moves, store
from tracker.scan import ScanError, scan, undo_last

# What a keyboard-wedge scanner set to US layout types on a PC set to Danish, key by key
# (and the reverse): only the keys that differ between the two layouts.
US_SCANNER_ON_DK_PC = str.maketrans({"-": "+", "/": "-", "=": "´", ";": "æ", "'": "ø", "[": "å"})
DK_SCANNER_ON_US_PC = str.maketrans({"+": "-", "-": "/", "´": "=", "æ": ";", "ø": "'", "å": "["})


def test_codes_normalise_case_whitespace_and_layout():
    assert codes.parse("  eks-pas-001 \n") == codes.Code("asset", "EKSPAS001")
    assert codes.parse("EKS-PAS-001".translate(US_SCANNER_ON_DK_PC)) == codes.Code(
        "asset", "EKSPAS001"
    )
    assert codes.parse("EKS-PAS-001".translate(DK_SCANNER_ON_US_PC)) == codes.Code(
        "asset", "EKSPAS001"
    )
    assert codes.parse("loc.hovedbibliotek") == codes.Code("site", "HOVEDBIBLIOTEK")
    assert codes.parse(codes.site_payload("bib_nord")) == codes.Code("site", "BIBNORD")
    payload = codes.asset_payload("EKS-KIO-004")
    assert payload == "EKSKIO004"
    # The payload is made of keys that are the same on both layouts.
    assert payload.translate(US_SCANNER_ON_DK_PC) == payload
    assert codes.parse("   ") is None


@pytest.mark.parametrize(
    "typed",
    ["EKS-PAS-002", "eks-pas-002", " EKSPAS002 ", "EKS+PAS+002", "EKS/PAS/002", "eks pas 002"],
)
def test_variants_of_a_tag_find_the_right_asset(seeded_db, plan, typed):
    result = scan(seeded_db, plan, typed, site="raadhus", step="packed")
    assert result.outcome == "recorded"
    assert result.asset.tag == "EKS-PAS-002"


@pytest.mark.parametrize("typed", ["EKS-PAS-0021", "EKS-PAS-02", "EKS-PAS-OO2", "XEKS-PAS-002"])
def test_near_misses_never_find_a_wrong_asset(seeded_db, plan, typed):
    result = scan(seeded_db, plan, typed, site="raadhus", step="packed")
    assert result.outcome == "unknown"
    assert store.asset_by_tag(seeded_db, "EKS-PAS-002").step == "in_service"


def test_the_slips_looked_up_are_exactly_the_keys_one_edit_apart():
    """`near_tags` looks up `codes.one_edit_keys` in the key index instead of testing every
    asset's key with `codes.one_edit_apart`: both must name the same keys."""
    import random

    rnd = random.Random(7)
    alphabet = codes.KEY_ALPHABET
    for _ in range(200):
        key = "".join(rnd.choice(alphabet[:4] + "0") for _ in range(rnd.randint(1, 7)))
        slips = codes.one_edit_keys(key)
        assert all(codes.one_edit_apart(key, other) for other in slips)
        # Keys of a near length over a small alphabet: each one edit apart is a slip.
        lengths = (len(key) - 1, len(key), len(key) + 1)
        others = {"".join(rnd.choice("AB0") for _ in range(n)) for n in lengths * 40}
        for other in others:
            assert (other in slips) == codes.one_edit_apart(key, other), (key, other)


def test_did_you_mean_names_the_tags_one_slip_away(seeded_db, plan):
    result = scan(seeded_db, plan, "EKS-PAS-0O1", site="raadhus", step="packed")
    assert result.outcome == "unknown" and "did you mean EKS-PAS-001?" in result.message
    assert store.near_tags(seeded_db, "EKSPAS00") == ["EKS-PAS-001", "EKS-PAS-002", "EKS-PAS-003"]
    assert store.near_tags(seeded_db, "ZZZZZZZZ") == []


def test_unknown_code_changes_nothing_and_is_kept(seeded_db, plan):
    before = store.assets(seeded_db)
    result = scan(seeded_db, plan, "ZZ-999\x1b[31m", site="raadhus", step="packed")
    assert result.outcome == "unknown"
    assert store.assets(seeded_db) == before
    (logged,) = store.unknown_scans(seeded_db)
    assert (logged["code"], logged["site"], logged["operator"]) == (
        "ZZ-999\x1b[31m",
        "raadhus",
        "tester",
    )


def test_scan_records_event_and_current_state_together(seeded_db, plan):
    r = scan(seeded_db, plan, "EKS-PAS-001", site="raadhus", step="packed", operator="Ib")
    assert r.outcome == "recorded" and r.ok
    a = store.asset_by_tag(seeded_db, "EKS-PAS-001")
    assert (a.step, a.site, a.home_site) == ("packed", "raadhus", "raadhus")
    (e,) = store.history(seeded_db, "EKS-PAS-001")
    assert (e["step"], e["site"], e["operator"], e["station"], e["prev_step"]) == (
        "packed",
        "raadhus",
        "Ib",
        "station-1",
        "in_service",
    )


def test_repeat_scan_is_explained_and_changes_nothing(seeded_db, plan):
    scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step="arrived")
    again = scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step="arrived")
    assert again.outcome == "repeat" and "already arrived" in again.message
    assert len(store.history(seeded_db, "EKS-PAS-001")) == 1


def test_site_label_is_recognised_and_unknown_site_label_is_logged(seeded_db, plan):
    r = scan(seeded_db, plan, "LOC.BIBNORD", site="raadhus", step="arrived")
    assert (r.outcome, r.site_id) == ("site", "bib_nord")
    r = scan(seeded_db, plan, "LOC.MARS", site="raadhus", step="arrived")
    assert r.outcome == "unknown"
    assert store.unknown_scans(seeded_db)[0]["code"] == "LOC.MARS"


def test_bad_site_or_step_is_refused(seeded_db, plan):
    with pytest.raises(ScanError, match="unknown site 'mars'"):
        scan(seeded_db, plan, "EKS-PAS-001", site="mars", step="packed")
    with pytest.raises(ScanError, match="unknown step 'lost'"):
        scan(seeded_db, plan, "EKS-PAS-001", site="raadhus", step="lost")


def test_move_flags_wrong_site_and_assets_not_in_manifest(seeded_db, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    items = {i.tag: i for i in moves.manifest(seeded_db)}
    assert items["EKS-NID-001"].dest == "hovedbibliotek"
    wrong = scan(seeded_db, plan, "EKS-NID-001", site="bib_nord", step="arrived")
    assert wrong.flag == "wrong_site" and "WRONG SITE" in wrong.message
    assert not wrong.ok
    # Recorded anyway: the asset is where it was scanned.
    assert store.asset_by_tag(seeded_db, "EKS-NID-001").site == "bib_nord"
    flagged = store.recent_events(seeded_db, flagged_only=True)
    assert [(e["tag"], e["flag"]) for e in flagged] == [("EKS-NID-001", "wrong_site")]


def test_asset_of_a_kind_the_scenario_does_not_move_is_flagged(seeded_db, plan):
    moves.start(seeded_db, plan, "branch_closed")  # moves one laptop, nothing else
    stray = scan(seeded_db, plan, "EKS-PRN-002", site="hovedbibliotek", step="packed")
    assert stray.outcome == "recorded" and stray.flag == "not_in_manifest"
    assert "NOT IN THE MANIFEST" in stray.message
    assert store.asset_by_tag(seeded_db, "EKS-PRN-002").step == "packed"
    # A second laptop beyond the manifest's one line is flagged too, once the line is taken.
    scan(seeded_db, plan, "EKS-BAR-009", site="bib_syd", step="packed")
    extra = scan(seeded_db, plan, "EKS-BAR-010", site="bib_syd", step="packed")
    assert extra.flag == "not_in_manifest"


def test_any_working_asset_of_the_kind_can_fill_a_manifest_line(seeded_db, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    planned = {i.tag for i in moves.manifest(seeded_db) if i.kind == "pass_ws"}
    assert "EKS-PAS-004" not in planned  # the spare in the IT store was not chosen
    r = scan(seeded_db, plan, "EKS-PAS-004", site="hovedbibliotek", step="arrived")
    assert r.flag == ""
    items = [i for i in moves.manifest(seeded_db) if i.kind == "pass_ws"]
    assert "EKS-PAS-004" in {i.tag for i in items} and len(items) == 2
    assert moves.progress(items)["arrived"] == 1


def test_undo_restores_the_previous_state_and_keeps_the_log(seeded_db, plan):
    scan(seeded_db, plan, "EKS-PRN-001", site="raadhus", step="packed")
    r = undo_last(seeded_db, plan)
    assert r.outcome == "recorded" and "in service" in r.message
    assert store.asset_by_tag(seeded_db, "EKS-PRN-001").step == "in_service"
    scan_event, undo_event = store.history(seeded_db, "EKS-PRN-001")
    assert scan_event["undone_by"] == undo_event["id"] and undo_event["action"] == "undo"
    assert undo_last(seeded_db, plan).outcome == "empty"


def test_undo_refuses_when_the_asset_was_scanned_again_elsewhere(seeded_db, plan):
    scan(seeded_db, plan, "EKS-PRN-001", site="raadhus", step="packed", station="A")
    scan(seeded_db, plan, "EKS-PRN-001", site="hovedbibliotek", step="arrived", station="B")
    r = undo_last(seeded_db, plan, station="A")
    assert r.outcome == "repeat" and "scanned again" in r.message
    assert store.asset_by_tag(seeded_db, "EKS-PRN-001").step == "arrived"


def test_ending_a_scenario_plans_the_return_home(seeded_db, plan):
    moves.start(seeded_db, plan, "branch_closed")
    (item,) = moves.manifest(seeded_db)
    scan(seeded_db, plan, item.tag, site="bib_syd", step="packed")
    scan(seeded_db, plan, item.tag, site="bib_nord", step="installed")
    move = moves.end(seeded_db)
    assert move.status == "returning"
    (back,) = moves.manifest(seeded_db)
    assert (back.tag, back.dest, back.state) == (item.tag, "bib_syd", "at_origin")
    scan(seeded_db, plan, item.tag, site="bib_syd", step="installed")
    assert moves.current_move(seeded_db) is None  # everything is home: the move is closed


def test_only_one_scenario_at_a_time(seeded_db, plan):
    moves.start(seeded_db, plan, "short_incident")
    with pytest.raises(moves.MoveError, match="short_incident"):
        moves.start(seeded_db, plan, "branch_closed")
    with pytest.raises(moves.MoveError, match="unknown scenario"):
        moves.start(seeded_db, plan, "zombies")


def _vm_steps(db, fn) -> int:
    """SQLite virtual-machine steps (in hundreds) that `fn` makes: rows read, not seconds."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(count, 100)
    try:
        fn()
    finally:
        db.conn.set_progress_handler(None, 100)
    return steps[0]


def test_a_scan_reads_the_assets_few_rows_not_the_stations_or_the_sites(seeded_db, plan):
    """The double-read check went through every scan the station ever made, and the kit
    parts through every asset at the site: a scan must cost the same on a big database."""
    from tracker import autostep, migrations

    at = store.now()
    with store.write(seeded_db):
        seeded_db.conn.executemany(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, station)"
            " VALUES (?, ?, 'scan', 'packed', 'raadhus', 'in_service', 'raadhus', 'busy')",
            ((at, f"OTHER-{i}") for i in range(20_000)),
        )
        seeded_db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, home_site, site, step, updated_at)"
            " VALUES (?, ?, 'laptop', 'x', 'raadhus', 'raadhus', 'in_service', '')",
            ((f"FILL-{i}", f"FILL{i}") for i in range(20_000)),
        )
        # As a big import leaves it (it rebuilds this index last): SQLite then took it for the
        # kit parts, where it had taken the kit index in a fresh database.
        seeded_db.execute("DROP INDEX assets_readiness")
        seeded_db.execute(f"CREATE INDEX {migrations.READINESS_INDEX}")
    recent = _vm_steps(
        seeded_db, lambda: autostep.recent_scan(seeded_db, "EKS-PAS-001", "busy", "raadhus", 60)
    )
    scanned = _vm_steps(
        seeded_db,
        lambda: scan(seeded_db, plan, "EKS-PAS-001", site="raadhus", step="packed", station="busy"),
    )
    # Before: 1,000 and 1,600 hundred steps (every row of the station's and of the site's).
    assert recent <= 5 and 0 < scanned <= 50, (recent, scanned)


def test_an_undo_reads_the_assets_own_rows_not_every_asset(seeded_db, plan):
    """Rebuilding the undone asset's state joined every asset to the undone tags."""
    with store.write(seeded_db):
        seeded_db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, home_site, site, step, updated_at)"
            " VALUES (?, ?, 'laptop', 'x', 'raadhus', 'raadhus', 'in_service', '')",
            ((f"FILL-{i}", f"FILL{i}") for i in range(20_000)),
        )
    scan(seeded_db, plan, "EKS-PAS-001", site="raadhus", step="packed", station="busy")
    undone = []
    steps = _vm_steps(seeded_db, lambda: undone.append(undo_last(seeded_db, plan, station="busy")))
    assert undone[0].outcome == "recorded"
    assert store.asset_by_tag(seeded_db, "EKS-PAS-001").step == "in_service"
    assert steps <= 50, steps  # before: ~1,050 (every asset)
