"""Review of the readiness speed-up (tally, lazy names, blocking from buckets, fast path):
each finding as a test, through the real `tracker` where a coordinator would see it."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from tracker import allocation, migrations, readiness, store, tallies, units
from tracker.allocation import Bucket, allocate
from tracker.database import Database
from tracker.plan import Function, Requirement

REPO = Path(__file__).resolve().parent.parent
LIB = "hovedbibliotek"


def site(doc: dict, site_id: str) -> dict:
    return next(s for s in doc["sites"] if s["id"] == site_id)


def requirement(doc: dict, site_id: str, fid: str, kind: str) -> dict:
    func = next(f for f in site(doc, site_id)["functions"] if f["id"] == fid)
    return next(r for r in func["requirements"] if r["kind"] == kind)


# --- The fast path gives what the full allocation gives -------------------------------------


def _random_case(rng: random.Random) -> tuple[list[Function], list[tuple[str, str, int]]]:
    kinds = ["k1", "k2", "k3"][: rng.randint(1, 3)]
    funcs = []
    for i in range(rng.randint(1, 5)):
        reqs = []
        for kind in rng.sample(kinds, rng.randint(1, len(kinds))):
            lo = rng.randint(0, 3)
            reqs.append(Requirement(kind, lo, rng.randint(lo, lo + 2)))
        area = rng.choice("AB")
        accepts = tuple(d for d in "AB" if d != area and rng.random() < 0.3)
        shares = rng.choice(["", "", "S", "T"])
        funcs.append(Function(f"f{i}", f"f{i}", area, tuple(reqs), False, shares, accepts))
    spec = [
        (kind, dept, rng.randint(1, 5))
        for kind in kinds
        for dept in rng.sample(["A", "B", ""], rng.randint(0, 3))
    ]
    return funcs, spec


def _pool(spec: list[tuple[str, str, int]]) -> dict[str, list[Bucket]]:
    out: dict[str, list[Bucket]] = {}
    for kind, dept, n in spec:
        tags = tuple(f"{kind}-{dept}-{i}" for i in range(n))
        out.setdefault(kind, []).append(Bucket(kind, dept, "", n, tags))
    return out


def _amounts(given: dict) -> dict:
    return {f: {k: t.amount for k, t in kinds.items() if t.amount} for f, kinds in given.items()}


def test_the_fast_path_gives_every_function_what_the_full_allocation_gives(monkeypatch):
    """Random pools and plans with shared groups whose members take different departments:
    the fast path gave a shared group equipment of a department one of its members does not
    take (`takes_all` asked only the functions needing the kind, `allocate` asks every member
    of the group), e.g. 3 of 3 where the full allocation gives 0."""
    rng = random.Random(11)
    real = allocation._everyone_served
    for _ in range(3000):
        funcs, spec = _random_case(rng)
        allocation._LAYOUTS.clear()
        fast = _amounts(allocate(funcs, _pool(spec)))
        monkeypatch.setattr(allocation, "_everyone_served", lambda *a: None)
        slow = _amounts(allocate(funcs, _pool(spec)))
        monkeypatch.setattr(allocation, "_everyone_served", real)
        assert fast == slow, (funcs, spec)


def test_a_shared_group_takes_only_what_all_its_members_take():
    """The smallest case found: licences (Borgerservice) shares with a library function that
    needs no printer; the printer is the library's."""
    funcs = [
        Function("a", "a", "Borgerservice", (Requirement("pc", 1, 1),), False, "S", ()),
        Function("b", "b", "Biblioteket", (Requirement("printer", 1, 1),), False, "S", ()),
        Function("c", "c", "Biblioteket", (Requirement("printer", 0, 1),), False, "", ()),
    ]
    pool = {
        "pc": [Bucket("pc", "", "", 1, ("PC-1",))],
        "printer": [Bucket("printer", "Biblioteket", "", 2, ("PRN-1", "PRN-2"))],
    }
    given = allocate(funcs, pool)
    assert given["b"].get("printer") is None or given["b"]["printer"].amount == 0


def test_a_layout_cached_for_freed_functions_is_not_given_to_others_at_their_address():
    """`_layout_of` caches by id(); `_layout` by value returns a layout that holds an equal
    function of an earlier call, so the functions keyed by id could be freed and their
    address given to a different function, which then got the old one's layout (a printer
    function allocated as a laptop one). Two plans in one process (tests; a reload) do it."""

    def funcs(kind: str, target: int) -> list[Function]:
        return [Function("a", "a", "X", (Requirement(kind, 1, target),), False, "", ())]

    def pool(kind: str, n: int) -> dict[str, list[Bucket]]:
        return {kind: [Bucket(kind, "X", "", n, tuple(f"{kind}{i}" for i in range(n)))]}

    keep = funcs("laptop", 1)
    allocate(keep, pool("laptop", 3))
    for _ in range(500):
        twin = funcs("laptop", 1)  # equal to `keep`: the value cache gives keep's layout
        allocate(twin, pool("laptop", 3))
        del twin
        other = funcs("printer", 2)  # often at twin's freed address
        given = allocate(other, pool("printer", 5))
        assert {k: t.amount for k, t in given["a"].items()} == {"printer": 2}
        del other


# --- Blocking names the asset that is really left over --------------------------------------


def test_a_headset_that_makes_no_seat_is_the_one_left_over_not_the_one_in_the_seat(tk):
    """Mette holds a laptop and two headsets: EKS-HS-001 is in her seat (status --json counts
    it for the phone line), EKS-HS-002 is the one left over. Blocking named EKS-HS-001."""
    tk("scenario", "start", "short_incident")
    for tag in ("EKS-BAR-003", "EKS-HS-001", "EKS-HS-002"):
        tk("scan", tag, "--site", "hjemme", "--step", "installed", "--holder", "Mette")
    tk("scan", "EKS-BAR-004", "--site", "hjemme", "--step", "installed", "--holder", "Jonas")
    doc = json.loads(tk("status", "--json"))
    assert requirement(doc, "hjemme", "phone_line", "headset")["tags"] == ["EKS-HS-001"]
    lines = [b for b in site(doc, "hjemme")["blocking"] if "Headset" in b]
    assert any("EKS-HS-002 held by Mette makes no seat" in b for b in lines), lines
    assert not any("EKS-HS-001 held by Mette makes no seat" in b for b in lines), lines


# --- Stock names the boxes that hold it -----------------------------------------------------


def test_stock_names_the_box_that_holds_the_stock_not_an_empty_one(tk):
    tk("scan", "EKS-MID-002", "--site", "raadhus", "--step", "installed")
    tk("count", "EKS-MID-001", "0", "--site", "raadhus")
    tk("count", "EKS-MID-002", "1", "--site", "raadhus")
    doc = json.loads(tk("status", "--json"))
    displays = requirement(doc, "raadhus", "mitid", "mitid_displays")
    assert (displays["have"], displays["tags"]) == (1, ["EKS-MID-002"])


# --- A part fills one slot of a kit ---------------------------------------------------------


def two_card_plan(tmp_path: Path) -> Path:
    text = (REPO / "tracker" / "default_plan.toml").read_text(encoding="utf-8")
    old = 'parts = ["card_reader", "receipt_printer"]'
    assert old in text
    path = tmp_path / "two_cards.toml"
    path.write_text(
        text.replace(old, 'parts = ["card_reader", "card_reader", "receipt_printer"]'),
        encoding="utf-8",
    )
    return path


def test_one_card_reader_does_not_fill_a_kit_that_needs_two(tk, tmp_path):
    """A plan may name a part kind twice in a kit; one part was counted for both slots and
    the MitID workstation (one card reader) made Rådhuset's MitID ready."""
    plan = str(two_card_plan(tmp_path))
    doc = json.loads(tk("--plan", plan, "status", "--json"))
    assert requirement(doc, "raadhus", "mitid", "mitid_ws")["have"] == 0
    assert any(
        "EKS-NID-001 in service, but it has 1 kortlæser here, its kit needs 2" in b
        for b in site(doc, "raadhus")["blocking"]
    ), site(doc, "raadhus")["blocking"]
    # A second card reader in the kit makes it whole.
    extra = tmp_path / "extra.csv"
    extra.write_text(
        "tag,kind,name,site,step,department,kit\n"
        "EKS-KLR-009,card_reader,Kortlæser 9,raadhus,in_service,Borgerservice,EKS-NID-001\n",
        encoding="utf-8",
    )
    tk("--plan", plan, "import", str(extra))
    doc = json.loads(tk("--plan", plan, "status", "--json"))
    assert requirement(doc, "raadhus", "mitid", "mitid_ws")["have"] == 1


def test_slot_sets_are_halls_condition():
    assert units.slot_sets((("a",), ("b",), ("c", "d"))) is None
    assert units.slot_sets((("a",), ("a",), ("b",))) == [(("a",), 2), (("b",), 1)]
    # x, x, x-or-y: two parts of x and three of x or y.
    assert units.slot_sets((("x",), ("x",), ("x", "y"), ("z",))) == [
        (("x",), 2),
        (("x", "y"), 3),
        (("z",), 1),
    ]


# --- The names in status --json are those of what was counted -------------------------------


def test_a_scan_landing_between_the_count_and_the_naming_changes_neither(
    seeded_db, db_path, plan, monkeypatch
):
    real = units.load_tags

    def late(db, plan_, at, wanted):
        other = store.open_db(db_path)
        try:
            with store.write(other):  # another station packs the pass workstations meanwhile
                other.execute("UPDATE assets SET step = 'packed' WHERE kind = 'pass_ws'")
        finally:
            other.close()
        real(db, plan_, at, wanted)

    monkeypatch.setattr(units, "load_tags", late)
    state = readiness.compute(seeded_db, plan)
    for s in state.sites:
        for f in s.functions:
            for r in f.requirements:
                if not plan.kinds[r.kind].stock:
                    assert len(r.tags) == r.have, (s.id, f.id, r.kind, r.tags, r.have)


# --- Guards: the tally through writes SQL allows, and from a database of m013 ---------------


def test_random_writes_of_every_kind_keep_the_tally_equal_to_a_recount(seeded_db):
    """INSERT, UPSERT, INSERT OR REPLACE, REPLACE, UPDATE of every tallied column, DELETE: on
    the tracker's connection (recursive triggers on, so REPLACE's delete is seen too)."""
    conn = seeded_db.conn
    rng = random.Random(5)
    tags = [r[0] for r in conn.execute("SELECT tag FROM assets")]
    steps = ["in_service", "installed", "packed", "arrived", "faulty"]
    for i in range(400):
        tag = rng.choice(tags)
        op = rng.randrange(6)
        values = [rng.choice(["raadhus", LIB, "hjemme"]), rng.choice(steps)]
        values += [rng.choice(["", "Borgerservice"]), rng.choice(["", "Mette"]), rng.randint(0, 9)]
        if op == 0:
            conn.execute(
                "UPDATE assets SET site = ?, step = ?, department = ?, holder = ?, quantity = ?"
                " WHERE tag = ?",
                [*values, tag],
            )
        elif op in (1, 2, 3):
            verb = {1: "INSERT OR REPLACE", 2: "REPLACE", 3: "INSERT"}[op]
            new = f"R-{i}" if op == 3 else tag
            upsert = (
                " ON CONFLICT(tag) DO UPDATE SET site = excluded.site, step = excluded.step"
                if op == 3
                else ""
            )
            conn.execute(
                f"{verb} INTO assets (tag, key, kind, name, home_site, updated_at, site, step,"
                f" department, holder, quantity) SELECT ?, ?, 'laptop', 'x', 'raadhus', '', ?,"
                f" ?, ?, ?, ? WHERE 1{upsert}",
                [new, f"K{new}", *values],
            )
            if op == 3:
                tags.append(new)
        elif op == 4:
            conn.execute("DELETE FROM assets WHERE tag = ?", [tag])
        else:
            conn.execute("UPDATE assets SET kind = 'headset' WHERE tag = ?", [tag])
    conn.commit()
    assert tallies.differences(conn) == []


def test_a_database_of_m013_gets_a_tally_equal_to_a_recount(tmp_path, plan):
    """Migrations up to m013 as an older tracker left them, with counted assets in every
    state; opening it with this one adds the tally."""
    from sqlite_utils import Database as UtilsDatabase
    from sqlite_utils import Migrations

    path = tmp_path / "old.db"
    old = Migrations(migrations.SET_NAME)
    for fn in migrations._FUNCTIONS:
        if fn.__name__ == "m014_readiness_tally":
            break
        old()(fn)
    udb = UtilsDatabase(path)
    old.apply(udb)
    rows = [
        ("A-1", "laptop", "raadhus", "in_service", "Borgerservice", "", 1),
        ("A-2", "laptop", "raadhus", "installed", "Borgerservice", "", 1),
        ("A-3", "laptop", "hjemme", "installed", "Borgerservice", "Mette", 1),
        ("A-4", "headset", "hjemme", "installed", "", "Mette", 1),
        ("A-5", "laptop", "raadhus", "packed", "Borgerservice", "", 1),
        ("A-6", "mitid_displays", "raadhus", "in_service", "Borgerservice", "", 40),
        ("A-7", "mitid_displays", "raadhus", "in_service", "Borgerservice", "", 0),
    ]
    for tag, kind, site_id, step, dept, holder, qty in rows:
        udb.execute(
            "INSERT INTO assets (tag, key, kind, name, home_site, site, step, updated_at,"
            " department, holder, quantity) VALUES (?, ?, ?, ?, 'raadhus', ?, ?, '', ?, ?, ?)",
            [tag, tag, kind, tag, site_id, step, dept, holder, qty],
        )
    udb.conn.commit()
    udb.close()
    db = store.open_db(path)
    try:
        assert tallies.differences(db.conn) == []
        assert db.execute("SELECT sum(n), sum(quantity) FROM readiness_tally").fetchone() == (
            6,
            44,
        )
    finally:
        db.close()
    assert isinstance(db, Database)


def test_every_migration_leaves_the_tally_triggers_and_index(fresh_db):
    """A later migration that rebuilds `assets` (sqlite-utils' transform: a new table, copied,
    renamed) drops its triggers with the old table, silently: the tally would stop following."""
    names = {r[0] for r in fresh_db.execute("SELECT name FROM sqlite_master")}
    assert set(tallies.TRIGGERS) <= names and "assets_counted" in names
    sql = {
        r[0]: r[1]
        for r in fresh_db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    for name, body in tallies.TRIGGERS.items():
        assert sql[name] == f"CREATE TRIGGER {name} {body}"  # as tallies makes them today


def test_sqlite_connection_from_store_has_recursive_triggers(db_path):
    """REPLACE fires the delete trigger only with recursive triggers on: every connection the
    tracker writes through must have them (Database sets it)."""
    db = store.open_db(db_path)
    try:
        assert db.execute("PRAGMA recursive_triggers").fetchone() == (1,)
    finally:
        db.close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA recursive_triggers").fetchone() == (0,)  # why it matters
    raw.close()


# --- Prefetched blocking reads say what one query per requirement says ----------------------


@pytest.mark.parametrize("scenario", ["borgerservice_to_library", "short_incident"])
def test_blocking_read_ahead_says_what_the_query_per_requirement_says(
    seeded_db, plan, monkeypatch, scenario
):
    """Explainer.prepare reads every short (site, kind) at once; without it each requirement
    asks on its own. Random scans of the sample, both ways, the same blocking lists."""
    from tracker import blocking, moves, scan

    moves.start(seeded_db, plan, scenario)
    rng = random.Random(3)
    tags = [r[0] for r in seeded_db.execute("SELECT tag FROM assets WHERE kit = '' ORDER BY tag")]
    sites = ["raadhus", LIB, "hjemme", "bib_nord"]
    steps = ["packed", "arrived", "installed", "in_service", "faulty"]
    real = blocking.Explainer.prepare
    for _ in range(60):
        where = rng.choice(sites)
        holder = rng.choice(["Mette", "Jonas"]) if where == "hjemme" else None
        try:
            scan.scan(
                seeded_db,
                plan,
                rng.choice(tags),
                site=where,
                step=rng.choice(steps),
                holder=holder,
            )
        except scan.ScanError:
            continue
        ahead = [s.blocking for s in readiness.compute(seeded_db, plan).sites]
        monkeypatch.setattr(blocking.Explainer, "prepare", lambda self, wanted: None)
        alone = [s.blocking for s in readiness.compute(seeded_db, plan).sites]
        monkeypatch.setattr(blocking.Explainer, "prepare", real)
        assert ahead == alone
