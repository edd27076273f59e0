"""What blocks a function, in words a coordinator understands.

"Pas: 1 of 2 Pas- og kørekortarbejdsstation; EKS-PAS-002 packed at Rådhuset 10:42, not yet
arrived". For each requirement below target it looks, in this order, at what is at the site but
does not count (a kiosk whose check failed, a workstation with a faulty part, equipment of
another department, a laptop at a home workplace with no holder, a step that does not count),
then at what the move's manifest sends here and where it is now. Queries run only for
functions below target, each bounded, so a ready site costs nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tracker import moves, timefmt
from tracker.database import Database
from tracker.plan import Function, Plan
from tracker.store import COUNTED_STEPS
from tracker.units import MOVED_AT, fresh_since, slot_sets

SHOWN = 3
"""Reasons named per requirement; the rest are counted."""
OTHER = " belongs to "
STEP_WORDS = {"in_service": "in service", "arrived": "arrived", "packed": "packed"}


_ASSETS_OF_MANY = (
    "SELECT j.key, a.tag, a.step, a.last_seen, a.department, '', a.holder, a.quantity"
    " FROM json_each(?) j JOIN assets a ON a.site = j.value ->> 0 AND a.kind = j.value ->> 1"
    " ORDER BY j.key, a.step IN ('in_service', 'installed'), a.tag"
)
"""The assets of each (site, kind) in a JSON list, from the readiness index alone (the home
site, read from the table, is fetched only for the rows without a department)."""


class Explainer:
    """Called by `readiness.evaluate` for each function below target at a site."""

    def __init__(self, db: Database, plan: Plan, at: datetime) -> None:
        self.db, self.plan, self.at = db, plan, at
        self._manifest: dict[tuple[str, str], list[tuple]] | None = None
        self._rows: dict[tuple[str, str], list[tuple]] = {}
        self._parts: dict[str, list[tuple]] = {}
        self._kiosks: dict[str, tuple | None] = {}
        self._when: dict[str | None, str] = {}
        self._zone: tuple | None = None

    def prepare(self, wanted: list[tuple[str, Any]]) -> None:
        """Read at once what the calls for these (site id, FunctionState) pairs will ask: the
        assets of each (site, kind) short of target, then the kits and kiosk checks among
        them (a few queries instead of one per requirement and asset)."""
        limits: dict[tuple[str, str], int] = {}
        for site, func in wanted:
            for req in func.requirements:
                if req.have < req.target:
                    key = (site, req.kind)
                    limits[key] = max(limits.get(key, 0), req.target + 2 * SHOWN)
        if not limits:
            return
        keys = list(limits)
        rows: list[list[tuple]] = [[] for _ in keys]
        no_department = []
        for row in self.db.execute(_ASSETS_OF_MANY, [json.dumps(keys)]):
            rows[row[0]].append(row[1:])
            if not row[4]:
                no_department.append(row[1])
        homes = dict(
            self.db.execute(
                "SELECT tag, home_site FROM assets WHERE tag IN (SELECT value FROM json_each(?))",
                [json.dumps(no_department)],
            ).fetchall()
            if no_department
            else ()
        )
        for i, key in enumerate(keys):  # those that do not count first, as `reasons` reads
            found = rows[i][: limits[key]]
            self._rows[key] = (
                [(*r[:4], homes.get(r[0], ""), *r[5:]) if not r[3] else r for r in found]
                if homes
                else found
            )
        kits, kiosks = [], []
        for (_site, kind), found in self._rows.items():
            spec = self.plan.kinds[kind]
            counted = [r[0] for r in found if r[1] in COUNTED_STEPS]
            kits += counted if spec.parts else ()
            kiosks += counted if spec.kiosk else ()
        if kits:
            self._parts = {tag: [] for tag in kits}
            for kit, *part in self.db.execute(
                "SELECT kit, tag, kind, site, step FROM assets WHERE kit != '' AND kit IN"
                " (SELECT value FROM json_each(?)) ORDER BY kit, tag",
                [json.dumps(kits)],
            ):
                self._parts[kit].append(tuple(part))
        if kiosks:
            self._kiosks = dict.fromkeys(kiosks)
            for tag, *check in self.db.execute(
                f"SELECT k.tag, k.verdict, k.checked_at, k.detail, {MOVED_AT} FROM kiosk_latest k"
                " JOIN assets w ON w.tag = k.tag WHERE k.tag IN (SELECT value FROM json_each(?))",
                [json.dumps(kiosks)],
            ):
                self._kiosks[tag] = tuple(check)

    def __call__(self, site: str, func: Any, pool: dict[str, list[Any]]) -> list[str]:
        """`func` is a readiness.FunctionState and `pool` the site's buckets after allocation
        (not imported: readiness calls this)."""
        spec = self.plan.functions[func.id]
        lines = []
        for req in func.requirements:
            if req.have >= req.target:
                continue
            kind = self.plan.kinds[req.kind]
            reasons = self.reasons(site, spec, req, pool.get(req.kind, []))
            text = f"{func.name}: {req.have} of {req.target} {kind.name}"
            if reasons:
                more = len(reasons) - SHOWN
                text += "; " + "; ".join(reasons[:SHOWN]) + (f" (+{more} more)" if more > 0 else "")
            lines.append(text)
        return lines

    def reasons(self, site: str, func: Function, req: Any, buckets: list[Any]) -> list[str]:
        """What keeps `req` below target: the site's assets of its kind that do not count for
        it, then the move's manifest; counted ones serving other functions only as a number
        (from the allocation's buckets, so no asset needs naming)."""
        homes = self.plan.sites[site].homes
        stock = self.plan.kinds[req.kind].stock
        eligible = [b for b in buckets if func.takes(b.department) and (b.holder or not homes)]
        # Per (department as stored, holder): a bucket's tags are drawn from the front in tag
        # order, so its first `amount - left` counted assets serve a function (this one or
        # another) and only the ones after them make no seat.
        used: dict[tuple[str, str], int] = {}
        unseated: dict[tuple[str, str], int] = {}
        for b in eligible if homes else ():
            key = (b.key[2] if b.key else "", b.holder)
            used[key] = used.get(key, 0) + b.amount - b.left
            unseated[key] = unseated.get(key, 0) + b.left
        out: list[str] = []
        rows = self._rows.get((site, req.kind))
        if rows is None:
            rows = self.db.execute(
                "SELECT tag, step, last_seen, department, home_site, holder, quantity"
                " FROM assets WHERE site = ? AND kind = ? ORDER BY step IN ('in_service',"
                " 'installed'), tag LIMIT ?",
                [site, req.kind, req.target + 2 * SHOWN],
            ).fetchall()
        seen = set()
        other_department: list[str] = []
        for tag, step, last_seen, dept, home, holder, qty in rows:
            seen.add(tag)
            why = self.why_not(site, func, req.kind, tag, step, last_seen, dept, home, holder)
            if why.startswith(OTHER):
                other_department.append(f"{tag}{why}")
            elif why:
                out.append(why)
            elif stock and not qty:
                out.append(f"{tag} is empty (counted 0)")
            elif not stock and used.get((dept, holder), 0) > 0:  # counted for a function
                used[(dept, holder)] -= 1
            elif unseated.get((dept, holder), 0) > 0:  # counted, but in no seat
                unseated[(dept, holder)] -= 1
                out.append(
                    f"{tag} held by {holder} makes no seat (one person must hold one of each:"
                    f" {', '.join(self.plan.kinds[r.kind].name for r in func.requires)})"
                )
        out += self.on_the_way(site, req.kind, seen)
        out += other_department  # last: the library's own equipment is rarely the news
        elsewhere = sum(b.amount - b.left for b in eligible) - req.have
        if elsewhere > 0 and not stock:
            out.append(f"{elsewhere} more here serve other functions")
        if stock and req.have:
            out.insert(0, f"{req.have} in stock here")
        return out

    def why_not(self, site, func, kind, tag, step, last_seen, dept, home, holder) -> str:
        """Why an asset at the site does not count for `func` ('' if it counts elsewhere)."""
        name = self.plan.sites[site].name
        if step not in COUNTED_STEPS:
            if step == "arrived":
                return f"{tag} arrived {self.when(last_seen)}, not installed yet"
            return f"{tag} {STEP_WORDS.get(step, step)} at {name}"
        department = self.plan.department_of(dept, home)
        if not func.takes(department):
            return f"{OTHER}{department}, not {func.area}"
        if self.plan.sites[site].homes and not holder:
            return f"{tag} at {name} has no holder (scan it with the name of who takes it)"
        k = self.plan.kinds[kind]
        if k.kiosk and (why := self.kiosk(tag, last_seen)):
            return f"{tag} {STEP_WORDS.get(step, step)}, {why}"
        if k.parts and (why := self.kit(tag, kind, site)):
            return f"{tag} {STEP_WORDS.get(step, step)}, but {why}"
        return ""  # counted, and serving another function

    def kiosk(self, tag: str, last_seen: str | None) -> str:
        if tag in self._kiosks:
            row = self._kiosks[tag]
        else:
            row = self.db.execute(
                f"SELECT k.verdict, k.checked_at, k.detail, {MOVED_AT} FROM kiosk_latest k"
                " JOIN assets w ON w.tag = k.tag WHERE k.tag = ?",
                [tag],
            ).fetchone()
        if row is None:
            return "kiosk check not run yet"
        verdict, checked_at, detail, moved = row
        if verdict != "ok":
            detail = f" ({verdict}: {detail})" if detail else f" ({verdict})"
            return f"kiosk check failed {self.when(checked_at)}{detail}"
        if checked_at < fresh_since(self.plan, self.at):
            return f"kiosk check passed {self.when(checked_at)}, too long ago: check again"
        if moved and checked_at < moved:
            return (
                f"kiosk check passed {self.when(checked_at)}, before it was moved here"
                f" {self.when(moved)}: check it again where it is now"
            )
        return ""

    def kit(self, tag: str, kind: str, site: str) -> str:
        """What keeps a workstation from being whole ('' when it is)."""
        parts = self._parts.get(tag)
        if parts is None:
            parts = self.db.execute(
                "SELECT tag, kind, site, step FROM assets WHERE kit != '' AND kit = ? ORDER BY tag",
                [tag],
            ).fetchall()
        for slot in self.plan.kinds[kind].parts:
            fitting = [p for p in parts if p[1] in slot]
            if any(p[2] == site and p[3] in COUNTED_STEPS for p in fitting):
                continue
            what = " or ".join(self.plan.kinds[k].name.lower() for k in slot)
            if not fitting:
                return f"it has no {what} in the inventory"
            ptag, pkind, psite, pstep = fitting[0]
            part = self.plan.kinds[pkind].name.lower()
            if pstep in ("faulty", "missing"):
                return f"its {part} {ptag} is {pstep}"
            where = self.plan.sites[psite].name if psite in self.plan.sites else psite
            return f"its {part} {ptag} is {STEP_WORDS.get(pstep, pstep)} at {where}"
        here = [p[1] for p in parts if p[2] == site and p[3] in COUNTED_STEPS]
        for kinds, n in slot_sets(self.plan.kinds[kind].parts) or ():  # a part fills one slot
            if (have := sum(k in kinds for k in here)) < n:
                what = " or ".join(self.plan.kinds[k].name.lower() for k in kinds)
                return f"it has {have} {what} here, its kit needs {n}"
        return ""

    def on_the_way(self, site: str, kind: str, skip: set[str]) -> list[str]:
        """Manifest lines sending `kind` here whose asset does not count here yet."""
        out = []
        for tag, asite, astep, seen in self.manifest().get((site, kind), ()):
            if tag is None:
                out.append(f"no working {self.plan.kinds[kind].name} was free for the move")
            elif tag not in skip:
                where = self.plan.sites[asite].name if asite in self.plan.sites else asite
                if astep == "packed":
                    out.append(f"{tag} packed at {where} {self.when(seen)}, not yet arrived")
                elif astep in ("faulty", "missing"):
                    out.append(f"{tag} is {astep} (at {where})")
                elif asite != site and astep in ("arrived", "installed"):
                    out.append(f"{tag} {astep} at {where}: the wrong site")
                elif asite != site:
                    out.append(f"{tag} still at {where}, not packed yet")
        return out

    def manifest(self) -> dict[tuple[str, str], list[tuple]]:
        if self._manifest is None:
            self._manifest = {}
            move = moves.current_move(self.db)
            if move is not None and move.status == "active":
                for dest, kind, tag, site, step, seen in self.db.execute(
                    "SELECT m.dest, m.kind, m.tag, a.site, a.step, a.last_seen FROM manifest m"
                    " LEFT JOIN assets a ON a.tag = m.tag WHERE m.move_id = ? AND m.leg = 'out'"
                    " ORDER BY m.tag IS NULL, m.tag",
                    [move.id],
                ):
                    self._manifest.setdefault((dest, kind), []).append((tag, site, step, seen))
        return self._manifest

    def when(self, at: str | None) -> str:
        """10:42 today, the date too when it is older than a day."""
        said = self._when.get(at)
        if said is None:
            parsed = timefmt.parse_time(at)
            if parsed is None:
                return "(time unknown)"
            if self._zone is None:
                self._zone = (timefmt.zone(),)
            recent = self.at - parsed < timedelta(hours=20)
            local = parsed.astimezone(self._zone[0])
            said = self._when[at] = local.strftime("%H:%M" if recent else timefmt.HUMAN_FORMAT)
        return said
