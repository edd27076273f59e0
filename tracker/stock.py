"""Counted stock and custody: boxes of consumables with a quantity, and who holds what at home.

A box of MitID code displays carries one label and a quantity; `count` records a new count as
an event (the box is where it was counted), and moving the box moves the stock. `holdings`
lists, per person, what staff took to their home workplaces: the coordinator's custody list,
and on the way back the list of what each person must return.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker import codes, store, validate
from tracker.database import Database
from tracker.plan import Plan
from tracker.scan import ScanError, ScanResult, default_operator, default_station, keep_unknown

MAX_QUANTITY = 1_000_000


def count(
    db: Database,
    plan: Plan,
    raw: str,
    quantity: int | str,
    *,
    site: str,
    operator: str | None = None,
    station: str | None = None,
) -> ScanResult:
    """Record that the box `raw` names holds `quantity` at `site`."""
    if site not in plan.sites:
        raise ScanError(f"unknown site {site!r} (known: {', '.join(plan.sites)})")
    try:
        quantity = validate.integer(quantity, low=0, high=MAX_QUANTITY)
    except validate.Invalid as e:
        raise ScanError(f"quantity: {e}") from None
    operator = default_operator() if operator is None else operator
    station = default_station() if station is None else station
    shown = raw.strip()
    code = codes.parse(raw)
    with store.write(db):
        asset = store.asset_by_key(db, code.key) if code and code.kind == "asset" else None
        if asset is None:
            why = "no asset has this tag"
            return keep_unknown(db, shown, site, "count", operator, station, why)
        name = plan.sites[site].name
        kind = plan.kinds.get(asset.kind)
        if kind is None or not kind.stock:
            stock = ", ".join(k.id for k in plan.kinds.values() if k.stock) or "none in the plan"
            raise ScanError(
                f"{asset.tag} is a {kind.name if kind else asset.kind}, not counted stock"
                f" ({stock}): nothing recorded"
            )
        if asset.site != site:
            where = plan.sites[asset.site].name if asset.site in plan.sites else asset.site
            raise ScanError(
                f"{asset.tag} is recorded at {where}, not {name}: scan it where it is first"
                " (a count does not move a box); nothing recorded"
            )
        if asset.quantity == quantity:
            return ScanResult(
                "repeat", shown, f"{asset.tag} holds {quantity} at {name}: nothing changed", asset
            )
        at = store.now()
        event_id = db.execute(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
            " station, code, quantity, prev_quantity)"
            " VALUES (?, ?, 'count', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [at, asset.tag, asset.step, site, asset.step, asset.site, operator, station, shown]
            + [quantity, asset.quantity],
        ).lastrowid
        db.execute(
            "UPDATE assets SET quantity = ?, last_seen = ?, updated_at = ? WHERE tag = ?",
            [quantity, at, at, asset.tag],
        )
    new = store.Asset(**{**asset.__dict__, "quantity": quantity, "last_seen": at})
    return ScanResult(
        "recorded",
        shown,
        f"{asset.tag} {asset.name}: counted {quantity} at {name} (was {asset.quantity})",
        asset=new,
        event_id=event_id,
    )


@dataclass(frozen=True)
class Holding:
    site: str
    holder: str
    assets: tuple[store.Asset, ...]


def holdings(db: Database, plan: Plan) -> list[Holding]:
    """Who holds what at each home workplace, by site then person."""
    homes = [s.id for s in plan.sites.values() if s.homes]
    if not homes:
        return []
    rows = db.execute(
        f"SELECT {store.ASSET_COLUMNS} FROM assets WHERE site IN ({', '.join('?' * len(homes))})"
        " ORDER BY site, holder = '', holder, kind, tag",
        homes,
    ).fetchall()
    out: list[Holding] = []
    for row in rows:
        asset = store.Asset(*row)
        if out and (out[-1].site, out[-1].holder) == (asset.site, asset.holder):
            out[-1] = Holding(asset.site, asset.holder, (*out[-1].assets, asset))
        else:
            out.append(Holding(asset.site, asset.holder, (asset,)))
    return out


def holding_lines(plan: Plan, held: list[Holding]) -> list[str]:
    """One line per person: "Mette: EKS-BAR-001 Bærbar ..., EKS-HS-001 Headset"."""
    lines = []
    for h in held:
        who = h.holder or "nobody (scan with the name of who takes it)"
        items = ", ".join(f"{a.tag} {a.name}" for a in h.assets)
        lines.append(f"{plan.sites[h.site].name} - {who}: {items}")
    return lines
