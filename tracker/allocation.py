"""Which counted asset serves which function at one site: one asset, one job.

Pure: readiness hands it the site's functions and its counted equipment in buckets (same kind,
department and holder), and gets back what each function was given. An asset serves at most
one function, except that functions with the same `shares` name use the same equipment.
When there is too little, as many functions as possible reach their minimum, then their
target (cheapest first, ties in plan order), and what is left tops up the rest; the same input
always gives the same allocation.

At a site of home workplaces (`Site.homes`) equipment counts only in a named holder's hands,
and a function that needs several kinds counts seats: one of each kind held by one person.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.plan import Function


@dataclass(slots=True)
class Bucket:
    """Counted equipment of one kind, department and holder at a site."""

    kind: str
    department: str
    holder: str
    amount: int
    """How many assets, or for stock the quantity in all its boxes."""
    tags: tuple[str, ...] | None
    """The assets (boxes for stock), sorted; None until loaded (`units.load_tags` fetches
    only the first ones drawn: most counted assets are never named)."""
    stock: bool = False
    key: tuple[str, ...] = ()
    """Where it was read from (site, kind, department, holder as stored), to load its tags."""
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.left = self.amount


@dataclass
class Taken:
    """What one requirement (or one shared group's requirement) was given."""

    amount: int = 0
    parts: list[tuple[Bucket, int, int]] = field(default_factory=list)
    """(bucket, first, how many): buckets are drawn from the front."""

    def add(self, bucket: Bucket, n: int) -> None:
        self.parts.append((bucket, bucket.amount - bucket.left, n))
        bucket.left -= n
        self.amount += n

    def tags(self) -> list[str]:
        """The assets counted (for stock, the boxes drawn from)."""
        out: list[str] = []
        for bucket, first, n in self.parts:
            tags = bucket.tags or ()
            if bucket.stock:
                out += [t for t in tags if t not in out]
            else:
                out += tags[first : first + n]
        return out

    def wanted(self) -> list[tuple[Bucket, int]]:
        """(bucket, how many of its first tags) this needs named."""
        return [(b, b.amount if b.stock else first + n) for b, first, n in self.parts]


@dataclass
class _Group:
    """Functions that share equipment, allocated as one."""

    order: int
    functions: list[Function]
    need: dict[str, tuple[int, int]]
    """kind -> (min, target), the largest over the members."""
    taken: dict[str, Taken] = field(default_factory=dict)
    _takes: dict[str, bool] = field(default_factory=dict)
    eligible: dict[str, list[Bucket]] = field(default_factory=dict)
    """kind -> the buckets it may draw from (department, holder), in drawing order."""

    def takes(self, department: str) -> bool:
        known = self._takes.get(department)
        if known is None:
            known = self._takes[department] = all(f.takes(department) for f in self.functions)
        return known

    def short(self, goal: int) -> dict[str, int]:
        """kind -> how many more it needs to reach min (goal 0) or target (goal 1)."""
        out = {}
        for kind, levels in self.need.items():
            have = self.taken[kind].amount if kind in self.taken else 0
            if levels[goal] > have:
                out[kind] = levels[goal] - have
        return out


def allocate(
    functions: Sequence[Function], pool: dict[str, list[Bucket]], *, homes: bool = False
) -> dict[str, dict[str, Taken]]:
    """function id -> kind -> what it was given. Consumes `pool` (its `left` counts): what is
    left afterwards is spare."""
    if not homes:
        fast = _everyone_served(_layout_of(functions), pool)
        if fast is not None:
            return fast
    groups: dict[str, _Group] = {}
    for n, func in enumerate(functions):
        group = groups.setdefault(func.shares or f"\0{func.id}", _Group(n, [], {}))
        group.functions.append(func)
        for req in func.requires:
            lo, hi = group.need.get(req.kind, (0, 0))
            group.need[req.kind] = (max(lo, req.min), max(hi, req.target))
    # At home workplaces, one-kind functions draw first from people who hold one kind only,
    # leaving whole seats (a laptop and a headset in one pair of hands) for the phone line.
    held: dict[str, set[str]] = {}
    for kind, bucket_list in pool.items():
        for b in bucket_list:
            held.setdefault(b.holder, set()).add(kind)
    for bucket_list in pool.values():
        bucket_list.sort(
            key=lambda b: (len(held[b.holder]) if homes else 0, b.department, b.holder)
        )
    seats = homes
    ordered = sorted(groups.values(), key=lambda g: g.order)
    for group in ordered:
        group.eligible = {
            kind: [
                b
                for b in pool.get(kind, ())
                if group.takes(b.department) and (b.holder or not homes)
            ]
            for kind in group.need
        }
    # Each group draws first on what fewer other groups may use (a function that also accepts
    # the library's equipment leaves Borgerservice's own to those that cannot).
    users: dict[int, int] = {}
    for group in ordered:
        for buckets in group.eligible.values():
            for b in buckets:
                users[id(b)] = users.get(id(b), 0) + 1
    for group in ordered:
        for buckets in group.eligible.values():
            buckets.sort(key=lambda b: users[id(b)])  # stable: the order above within a tie
    for goal in (0, 1):
        pending = sorted(ordered, key=lambda g: (sum(g.short(goal).values()), g.order))
        for group in pending:
            short = group.short(goal)
            if short and _available(group, short, pool, seats):
                _take(group, short, pool, seats)
    for group in ordered:  # what is left tops up, so "1 of 2" shows what is there
        if short := group.short(1):
            _take(group, short, pool, seats)
    return {f.id: g.taken for g in ordered for f in g.functions}


@dataclass(frozen=True, eq=False)  # hashed by identity: one per cached set of functions
class _Layout:
    """What a site's functions need, worked out once per set of functions (many sites host
    the same ones)."""

    groups: tuple[tuple[tuple[str, ...], tuple[tuple[str, int], ...]], ...]
    """(function ids, ((kind, target), ...)) per group of functions sharing equipment."""
    demand: dict[str, int]
    """kind -> the sum of the groups' targets."""
    functions: tuple[Function, ...]
    alone: frozenset[str]
    """The kinds only one group needs."""
    users: dict[str, tuple[Function, ...]]
    """kind -> every member of every group that needs it: a group draws only on what all its
    members take (`_Group.takes`), even a member that does not need the kind itself."""
    takes: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(kind, department) -> `takes_all`, as worked out."""

    def takes_all(self, kind: str, department: str) -> bool:
        """Whether every group that may draw on `kind` takes `department`'s, as `allocate`
        decides it (all of a group's members)."""
        return all(f.takes(department) for f in self.users[kind])


_LAYOUTS: dict[tuple[int, ...], tuple[tuple[Function, ...], _Layout]] = {}


def _layout_of(functions: Sequence[Function]) -> _Layout:
    """`_layout`, cached by the functions' identities (hashing a Function hashes all of it).
    The entry holds these very functions, so their ids stay theirs while it is cached: the
    layout may hold equal functions of an earlier plan (`_layout` caches by value), and an id
    of a function since freed could be another function's."""
    key = tuple(map(id, functions))
    found = _LAYOUTS.get(key)
    if found is None:
        if len(_LAYOUTS) > 512:
            _LAYOUTS.clear()
        held = tuple(functions)
        found = _LAYOUTS[key] = (held, _layout(held))
    return found[1]


@functools.lru_cache(maxsize=512)
def _layout(functions: tuple[Function, ...]) -> _Layout:
    groups: dict[str, tuple[list[str], dict[str, int]]] = {}
    members: dict[str, list[Function]] = {}
    for func in functions:
        name = func.shares or f"\0{func.id}"
        ids, need = groups.setdefault(name, ([], {}))
        members.setdefault(name, []).append(func)
        ids.append(func.id)
        for req in func.requires:
            need[req.kind] = max(need.get(req.kind, 0), req.target)
    demand: dict[str, int] = {}
    needed_by: dict[str, list[str]] = {}
    for name, (_ids, need) in groups.items():
        for kind, n in need.items():
            demand[kind] = demand.get(kind, 0) + n
            needed_by.setdefault(kind, []).append(name)
    # A kind only one group needs has no one to share it with: that group gets what there is
    # of it, up to its target, whatever else is short (allocate's rounds come to the same).
    alone = frozenset(k for k, names in needed_by.items() if len(names) == 1)
    users = {k: tuple(f for g in names for f in members[g]) for k, names in needed_by.items()}
    return _Layout(
        tuple((tuple(ids), tuple(need.items())) for ids, need in groups.values()),
        demand,
        functions,
        alone,
        users,
    )


def _everyone_served(layout: _Layout, pool: dict[str, list[Bucket]]):
    """When there is no choice to make, each group takes up to its target in plan order: for
    every kind, either one group alone needs it, or the equipment every function needing it
    may use covers all their targets. None when there is a choice."""
    usable: dict[str, list[Bucket]] = {}
    for kind, wanted in layout.demand.items():
        takes = layout.takes
        buckets = []
        for b in pool.get(kind, ()):
            ok = takes.get((kind, b.department))
            if ok is None:
                ok = takes[(kind, b.department)] = layout.takes_all(kind, b.department)
            if ok:
                buckets.append(b)
        if kind not in layout.alone and sum(b.left for b in buckets) < wanted:
            return None
        if len(buckets) > 1:
            buckets.sort(key=lambda b: (b.department, b.holder))
        usable[kind] = buckets
    out: dict[str, dict[str, Taken]] = {}
    for ids, need in layout.groups:
        taken: dict[str, Taken] = {}
        for kind, n in need:
            t = taken[kind] = Taken()
            for b in usable[kind]:
                if n <= 0:
                    break
                if b.left:
                    got = min(n, b.left)
                    n -= got
                    t.add(b, got)
        for fid in ids:
            out[fid] = taken
    return out


def _eligible(group: _Group, pool: dict[str, list[Bucket]], kind: str, homes: bool):
    return [b for b in group.eligible.get(kind, ()) if b.left > 0]


def _available(group: _Group, short: dict[str, int], pool, homes: bool) -> bool:
    """Whether all of `short` can be given now."""
    if homes and len(group.need) > 1:
        return _seat_holders(group, pool) >= max(short.values())
    return all(
        sum(b.left for b in _eligible(group, pool, kind, homes)) >= n for kind, n in short.items()
    )


def _seat_holders(group: _Group, pool) -> int:
    """How many seats (one of each needed kind in one person's hands) can still be made."""
    per_holder: dict[str, dict[str, int]] = {}
    for kind in group.need:
        for b in _eligible(group, pool, kind, True):
            per_holder.setdefault(b.holder, {}).setdefault(kind, 0)
            per_holder[b.holder][kind] += b.left
    return sum(
        min(kinds.values()) for kinds in per_holder.values() if len(kinds) == len(group.need)
    )


def _take(group: _Group, short: dict[str, int], pool, homes: bool) -> None:
    if homes and len(group.need) > 1:
        _take_seats(group, max(short.values()), pool)
        return
    for kind, n in short.items():
        for b in _eligible(group, pool, kind, homes):
            if n <= 0:
                break
            got = min(n, b.left)
            n -= got
            group.taken.setdefault(kind, Taken()).add(b, got)


def _take_seats(group: _Group, seats: int, pool) -> None:
    """Up to `seats` seats, each one of every needed kind from the same holder."""
    kinds = list(group.need)
    holders = sorted({b.holder for k in kinds for b in _eligible(group, pool, k, True)})
    for holder in holders:
        while seats > 0:
            picks = []
            for kind in kinds:
                b = next(
                    (b for b in _eligible(group, pool, kind, True) if b.holder == holder), None
                )
                if b is None:
                    break
                picks.append((kind, b))
            if len(picks) < len(kinds):
                break
            for kind, b in picks:
                group.taken.setdefault(kind, Taken()).add(b, 1)
            seats -= 1
