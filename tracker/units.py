"""What counts towards readiness, read from the store in a few aggregate queries.

An asset counts while it is installed or in service at a site; a self-service PC only while
its latest kiosk check passed recently; a workstation with a kit only while every slot of its
kit is filled by a part at the same site in a counted step (a faulty or missing part takes it
out). Stock counts by quantity. The result is buckets per site (see `allocation`); SQL does
the grouping so that 100,000 assets cost a few aggregate rows, not 100,000 Python objects.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlite_utils import Database

from tracker.allocation import Bucket
from tracker.plan import Plan
from tracker.store import COUNTED_STEPS

COUNTED = "step IN ('in_service', 'installed')"
assert set(COUNTED_STEPS) == {"in_service", "installed"}
SEP = "\x1f"
"""Between tags in a group_concat: a tag never holds a control character (codes.GOOD_TAG)."""


def required_kinds(plan: Plan) -> set[str]:
    return {r.kind for f in plan.functions.values() for r in f.requires}


def fresh_since(plan: Plan, at: datetime) -> str:
    """A kiosk check older than this no longer counts (two check intervals)."""
    since = at - timedelta(minutes=2 * plan.kiosk_interval_minutes)
    return since.isoformat(timespec="milliseconds")


def kit_condition(plan: Plan, kind: str, alias: str = "w") -> tuple[str, list[str]]:
    """SQL that holds when every slot of `kind`'s kit is filled at the workstation's site."""
    sql, params = [], []
    for slot in plan.kinds[kind].parts:
        sql.append(
            f" AND EXISTS (SELECT 1 FROM assets p WHERE p.kit = {alias}.tag"
            f" AND p.site = {alias}.site AND p.{COUNTED}"
            f" AND p.kind IN ({', '.join('?' * len(slot))}))"
        )
        params += slot
    return "".join(sql), params


def buckets(db: Database, plan: Plan, at: datetime) -> dict[str, dict[str, list[Bucket]]]:
    """site -> kind -> buckets of counted equipment."""
    kinds = required_kinds(plan)
    special = {k for k in kinds if k in plan.kinds and (plan.kinds[k].kiosk or plan.kinds[k].parts)}
    plain = sorted(kinds - special)
    out: dict[str, dict[str, list[Bucket]]] = defaultdict(lambda: defaultdict(list))
    select = (
        "SELECT w.site, w.kind, w.department, w.home_site, w.holder, count(*), sum(w.quantity),"
        f" group_concat(w.tag, '{SEP}') FROM assets w"
    )
    group = " GROUP BY w.site, w.kind, w.department, w.home_site, w.holder"
    queries = []
    if plain:
        queries.append(
            (
                f"{select} WHERE w.{COUNTED} AND w.kind IN ({', '.join('?' * len(plain))})" + group,
                plain,
            )
        )
    for kind in sorted(special):
        where, params = f" WHERE w.{COUNTED} AND w.kind = ?", [kind]
        join = ""
        if plan.kinds[kind].kiosk:
            join = " JOIN kiosk_latest k ON k.tag = w.tag"
            where += " AND k.verdict = 'ok' AND k.checked_at >= ?"
            params.append(fresh_since(plan, at))
        kit_sql, kit_params = kit_condition(plan, kind)
        queries.append((select + join + where + kit_sql + group, params + kit_params))
    homes = {s.id for s in plan.sites.values() if s.homes}
    for sql, params in queries:
        for site, kind, dept, home, holder, n, qty, tags in db.execute(sql, params):
            stock = plan.kinds[kind].stock if kind in plan.kinds else False
            out[site][kind].append(
                Bucket(
                    kind,
                    plan.department_of(dept, home),
                    holder if site in homes else "",
                    int(qty or 0) if stock else n,
                    tuple(sorted(tags.split(SEP))),
                    stock,
                )
            )
    return out
