"""What counts towards readiness, read from the store in a few aggregate queries.

An asset counts while it is installed or in service at a site; a self-service PC only while
its latest kiosk check passed recently; a workstation with a kit only while every slot of its
kit is filled by a part at the same site in a counted step (a faulty or missing part takes it
out). Stock counts by quantity. The result is buckets per site (see `allocation`); SQL does
the grouping so that 100,000 assets cost a few aggregate rows, not 100,000 Python objects.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

from tracker import tallies
from tracker.allocation import Bucket
from tracker.database import Database
from tracker.plan import Plan
from tracker.store import COUNTED_STEPS

COUNTED = f"step IN ({', '.join(repr(step) for step in COUNTED_STEPS)})"
SEP = "\x1f"
"""Between tags in a group_concat: a tag never holds a control character (codes.GOOD_TAG)."""


MOVED_AT = (
    "(SELECT max(e.at) FROM events e WHERE e.tag = w.tag AND e.site != e.prev_site"
    " AND e.undone_by IS NULL)"
)
"""When the asset last changed site (a scan, an import, an undo; a stocktake sighting that
found it where it was recorded is no move)."""

KIOSK_PASSED = (
    " AND EXISTS (SELECT 1 FROM kiosk_latest k WHERE k.tag = w.tag AND k.verdict = 'ok'"
    f" AND k.checked_at >= ? AND k.checked_at >= coalesce({MOVED_AT}, ''))"
)
"""A kiosk's latest check passed recently, and after it last moved: a check made before it
moved proves nothing about the network it is on now."""


def required_kinds(plan: Plan) -> set[str]:
    return {r.kind for f in plan.functions.values() for r in f.requires}


def fresh_since(plan: Plan, at: datetime) -> str:
    """A kiosk check older than this no longer counts (two check intervals)."""
    since = at - timedelta(minutes=2 * plan.kiosk_interval_minutes)
    return since.isoformat(timespec="milliseconds")


def kit_condition(plan: Plan, kind: str, alias: str = "w") -> tuple[str, list[str]]:
    """SQL that holds when every slot of `kind`'s kit is filled at the workstation's site:
    one index seek per workstation, adding up, slot by slot, whether any part fills it (no
    DISTINCT: that would build a temporary b-tree per workstation). A part fills one slot:
    where slots share a kind, each set of them needs as many parts (`slot_sets`)."""
    slots = plan.kinds[kind].parts
    if not slots:
        return "", []
    terms, params = [], []
    sets = slot_sets(slots)
    if sets is None:  # no kind in two slots: one part of each slot's kinds
        for slot in slots:
            terms.append(f"max(p.kind IN ({', '.join('?' * len(slot))}))")
            params += slot
        whole, equals = " + ".join(terms), f" = {len(slots)}"
    else:
        for kinds, n in sets:
            terms.append(f"sum(p.kind IN ({', '.join('?' * len(kinds))})) >= {n}")
            params += kinds
        whole, equals = " AND ".join(terms), ""
    sql = (
        f" AND (SELECT {whole} FROM assets p"
        f" WHERE p.kit != '' AND p.kit = {alias}.tag AND p.site = {alias}.site"
        f" AND p.{COUNTED}){equals}"
    )
    return sql, params


def slot_sets(slots: tuple[tuple[str, ...], ...]) -> list[tuple[tuple[str, ...], int]] | None:
    """None when no kind fills two slots; else (kinds, n) such that one part per slot can be
    found exactly when, for each, at least n parts are of those kinds (Hall's condition: every
    set of slots sharing kinds needs as many parts as it has slots; two card readers for
    `["card_reader", "card_reader"]`, not one counted twice)."""
    kinds = [k for slot in slots for k in set(slot)]
    if len(kinds) == len(set(kinds)):
        return None
    groups: list[list[tuple[str, ...]]] = []  # slots linked by kinds they share
    for slot in slots:
        linked = [g for g in groups if any(set(slot) & set(other) for other in g)]
        merged = [slot] + [other for g in linked for other in g]
        groups = [g for g in groups if g not in linked] + [merged]
    need: dict[tuple[str, ...], int] = {}
    for group in groups:
        for mask in range(1, 1 << len(group)):
            chosen = [slot for i, slot in enumerate(group) if mask >> i & 1]
            union = tuple(sorted({k for slot in chosen for k in slot}))
            need[union] = max(need.get(union, 0), len(chosen))
    return sorted(need.items())


def buckets(db: Database, plan: Plan, at: datetime) -> dict[str, dict[str, list[Bucket]]]:
    """site -> kind -> buckets of counted equipment.

    Plain kinds come from the tally the triggers keep (`tallies`); kiosks and workstations
    with a kit are read from the assets with their conditions, grouped in the readiness
    index's order (site, kind, department, holder)."""
    kinds = sorted(k for k in required_kinds(plan) if k in plan.kinds)
    if not kinds:
        return {}
    plain = [k for k in kinds if not plan.kinds[k].kiosk and not plan.kinds[k].parts]
    among = f"kind IN ({', '.join('?' * len(plain))})"
    rows = db.execute(
        "SELECT site, kind, department, holder, n, quantity FROM readiness_tally"
        f" WHERE n > 0 AND {among} ORDER BY site, kind, department, holder"
        if tallies.intact(db.conn)
        else "SELECT site, kind, department, holder, count(*), sum(quantity) FROM assets"
        f" WHERE {COUNTED} AND {among} GROUP BY site, kind, department, holder"
        " ORDER BY site, kind, department, holder",
        plain,
    ).fetchall()
    for kind in (k for k in kinds if k not in plain):  # one index range each (assets_counted)
        cond, params = kit_condition(plan, kind)
        if plan.kinds[kind].kiosk:
            cond += KIOSK_PASSED
            params.append(fresh_since(plan, at))
        rows += db.execute(
            "SELECT w.site, w.kind, w.department, w.holder, count(*), sum(w.quantity)"
            f" FROM assets w WHERE w.{COUNTED} AND w.kind = ?{cond}"
            " GROUP BY w.site, w.department, w.holder ORDER BY w.site, w.department, w.holder",
            [kind, *params],
        ).fetchall()
    homes = {s.id for s in plan.sites.values() if s.homes}
    out: dict[str, dict[str, list[Bucket]]] = defaultdict(lambda: defaultdict(list))
    # Imports fill in the department (the home site's when the row has none), so an empty one
    # means "its home site has none" - unless nothing has a department yet: a database imported
    # before departments existed, whose assets each take their home site's.
    by_site = (
        any(s.department for s in plan.sites.values())
        and not db.execute(
            "SELECT EXISTS (SELECT 1 FROM assets WHERE department != '')"
        ).fetchone()[0]
    )
    # In (department, holder) order within each site and kind, as both queries return them.
    for site, kind, dept, holder, n, qty in rows:
        stock = plan.kinds[kind].stock
        key = (site, kind, dept, holder)
        held = holder if site in homes else ""
        if dept or not by_site:
            out[site][kind].append(Bucket(kind, dept, held, qty if stock else n, None, stock, key))
            continue
        # No department in the rows (imported before departments): each its home site's.
        tags = _tags(db, plan, at, [(key, n)])[0]
        for department, group_tags, group_qty, group_n in _by_home(db, plan, tags):
            amount = int(group_qty or 0) if stock else group_n
            out[site][kind].append(Bucket(kind, department, held, amount, tuple(group_tags), stock))
    return out


def load_tags(db: Database, plan: Plan, at: datetime, wanted: list[tuple[Bucket, int]]) -> None:
    """Fill in the first tags of the buckets drawn from, in one query per kind."""
    need: dict[int, tuple[Bucket, int]] = {}
    for bucket, n in wanted:
        if bucket.tags is None and n > 0:
            have = need.get(id(bucket), (bucket, 0))[1]
            need[id(bucket)] = (bucket, max(have, n))
    by_kind: dict[str, list[tuple[Bucket, int]]] = defaultdict(list)
    for bucket, n in need.values():
        by_kind[bucket.kind].append((bucket, n))
    for items in by_kind.values():
        found = _tags(db, plan, at, [(b.key, n) for b, n in items])
        for (bucket, _n), tags in zip(items, found, strict=True):
            bucket.tags = tuple(tags)


def _tags(db: Database, plan: Plan, at: datetime, keys: list[tuple[tuple, int]]) -> list[list]:
    """The first n counted tags (sorted) of each (site, kind, department, holder) key; all
    keys of one kind."""
    kind = keys[0][0][1]
    cond, params = kit_condition(plan, kind)
    if plan.kinds[kind].kiosk:
        cond += KIOSK_PASSED
        params.append(fresh_since(plan, at))
    if plan.kinds[kind].stock:
        # The boxes drawn from: an empty one holds none of the stock (and a bucket's quantity,
        # its LIMIT, is at least the number of its boxes that hold some).
        cond += " AND w.quantity > 0"
    sql = (
        "SELECT j.key, t.tag FROM json_each(?) j JOIN assets t ON t.tag IN"
        " (SELECT w.tag FROM assets w WHERE w.kind = j.value ->> 1 AND w.site = j.value ->> 0"
        " AND w.department = j.value ->> 2 AND w.holder = j.value ->> 3"
        f" AND w.{COUNTED}{cond} ORDER BY w.tag LIMIT ?)"
        " ORDER BY j.key, t.tag"
    )
    doc = json.dumps([list(key) for key, _ in keys])
    found: list[list[str]] = [[] for _ in keys]
    most = max(n for _, n in keys)  # a LIMIT cannot refer to the row; trimmed below
    for i, tag in db.execute(sql, [doc, *params, most]):
        found[i].append(tag)
    return [tags[:n] for tags, (_, n) in zip(found, keys, strict=True)]


def _by_home(db: Database, plan: Plan, tags: list[str]) -> list[tuple[str, list[str], int, int]]:
    """Split assets without a department by their home site's department."""
    groups: dict[str, tuple[list[str], list[int]]] = {}
    for tag, home, qty in db.execute(
        "SELECT tag, home_site, quantity FROM assets WHERE tag IN"
        " (SELECT value FROM json_each(?)) ORDER BY tag",
        [json.dumps(tags)],
    ):
        entry = groups.setdefault(plan.department_of("", home), ([], []))
        entry[0].append(tag)
        entry[1].append(qty)
    return [(d, t, sum(q), len(t)) for d, (t, q) in groups.items()]
