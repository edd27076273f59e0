"""Readiness: can each site open, which of its critical functions are ready, and what blocks.

Counted equipment (see `units`) is allocated to the functions a site hosts (see `allocation`):
one asset serves one function unless the plan says functions share it, and counts only for its
own department's functions. A function is as ready as its weakest requirement; a site is as
ready as its weakest function. Every function below target gets a line in the site's
`blocking` list saying, in words, what is missing and where it is (see `blocking`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker import gcpause, moves, network, units
from tracker.allocation import Bucket, Taken, allocate
from tracker.database import Database
from tracker.plan import Plan, Scenario

READY, DEGRADED, NOT_READY = "ready", "degraded", "not_ready"
STATE_LABELS = {READY: "ready", DEGRADED: "degraded", NOT_READY: "not ready"}
VERDICT_WORDS = {
    READY: "READY: can open",
    DEGRADED: "DEGRADED: can open, below target",
    NOT_READY: "NOT READY: cannot open",
    None: "no critical functions here",
}
"""A site's verdict as a coordinator reads it, for the first line of every view."""


class _Names:
    """Names the counted assets of a whole readiness on first demand: the tags of 100,000
    assets cost a query per kind that the dashboard and the text status never need."""

    def __init__(self, load: Callable[[list[tuple[Bucket, int]]], None] | None) -> None:
        self.load, self.given = load, []  # type: list[dict[str, dict[str, Taken]]]

    def ensure(self) -> None:
        if self.load is not None:
            load, self.load = self.load, None
            load(
                [w for g in self.given for f in g.values() for t in f.values() for w in t.wanted()]
            )


_NAMED = _Names(None)


@dataclass(slots=True)  # not frozen: made 2,500 times a refresh; nothing changes them
class RequirementState:
    kind: str
    have: int
    min: int
    target: int
    state: str
    taken: Taken = field(default_factory=Taken, repr=False, compare=False)
    names: _Names = field(default=_NAMED, repr=False, compare=False)

    @property
    def tags(self) -> tuple[str, ...]:
        """The assets counted for it (for stock: the boxes), sorted by bucket."""
        self.names.ensure()
        return tuple(self.taken.tags())

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "have": self.have,
            "min": self.min,
            "target": self.target,
            "state": self.state,
            "tags": list(self.tags),
        }


@dataclass(slots=True)
class FunctionState:
    id: str
    name: str
    state: str
    have: int
    min: int
    target: int
    requirements: tuple[RequirementState, ...]
    network: str = ""
    """Why the function cannot count without the staff network (see tracker/network.py)."""


@dataclass(frozen=True)
class SiteState:
    id: str
    name: str
    functions: tuple[FunctionState, ...]
    network: network.SiteNetwork | None = None
    blocking: tuple[str, ...] = ()
    spare: dict[str, int] = field(default_factory=dict)
    """Counted equipment no function needed, by kind."""

    @property
    def state(self) -> str | None:
        """The worst of its functions; None where it hosts none."""
        if not self.functions:
            return None
        return min((f.state for f in self.functions), key=_ORDER.__getitem__)

    def headline(self, blocking: int = 2) -> str:
        """One line: the site, its verdict in words, and the first blocking items."""
        line = f"{self.name}: {VERDICT_WORDS[self.state]}"
        if self.blocking[:blocking]:
            more = len(self.blocking) - blocking
            line += " - " + "; ".join(self.blocking[:blocking])
            line += f" (+{more} more)" if more > 0 else ""
        return line


@dataclass(frozen=True)
class Readiness:
    scenario: Scenario | None
    sites: tuple[SiteState, ...]
    generated_at: str = field(default="")
    sample: str | None = None
    """The sample inventory the database was seeded from, until a real import: then the
    readiness shown is fiction, and every view of it says so (`SAMPLE_NOTE`)."""
    names: _Names = field(default=_NAMED, repr=False, compare=False)

    def site(self, site_id: str) -> SiteState | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario.id if self.scenario else None,
            "generated_at": self.generated_at,
            "sample": self.sample,
            "sites": [
                {
                    "id": s.id,
                    "name": s.name,
                    "state": s.state,
                    "verdict": VERDICT_WORDS[s.state],
                    "blocking": list(s.blocking),
                    "network": s.network.as_json() if s.network else None,
                    "spare": s.spare,
                    "functions": [
                        {
                            "id": f.id,
                            "name": f.name,
                            "state": f.state,
                            "have": f.have,
                            "min": f.min,
                            "target": f.target,
                            "requirements": [r.as_json() for r in f.requirements],
                            "network": f.network,
                        }
                        for f in s.functions
                    ],
                }
                for s in self.sites
            ],
        }


def state_of(have: int, lo: int, hi: int) -> str:
    if have >= hi:
        return READY
    if have >= lo:
        return DEGRADED
    return NOT_READY


_ORDER = {NOT_READY: 0, DEGRADED: 1, READY: 2}

Explain = Callable[[str, FunctionState, dict[str, list[Bucket]]], list[str]]
"""(site id, a function below target, the site's counted equipment after allocation) -> what
blocks it."""

Units = dict[str, dict[str, list[Bucket]]]


def from_counts(counts: dict[tuple[str, str], int]) -> Units:
    """Buckets from plain counts by (site, kind), of no particular department: for tests and
    callers that only know numbers."""
    out: Units = {}
    for (site, kind), n in counts.items():
        out.setdefault(site, {}).setdefault(kind, []).append(Bucket(kind, "", "", n, ()))
    return out


def evaluate(
    plan: Plan,
    scenario: Scenario | None,
    counted: Units | dict[tuple[str, str], int],
    *,
    all_sites: bool = False,
    generated_at: str = "",
    sample: str | None = None,
    networks: dict[str, network.SiteNetwork] | None = None,
    explain: Explain | None = None,
    load_tags: Callable[[list[tuple[Bucket, int]]], None] | None = None,
) -> Readiness:
    """Readiness from counted equipment by site (buckets, or counts by (site, kind)). Pure but
    for `explain`: the tests feed it numbers directly. Allocation consumes the buckets: pass
    fresh ones each time.

    Sites that host no function in the scenario are left out unless `all_sites`.
    """
    if counted and isinstance(next(iter(counted)), tuple):
        counted = from_counts(counted)  # type: ignore[arg-type]
    hosted = plan.site_functions(scenario)
    names = _Names(load_tags)
    worked = []
    for site in plan.sites.values():
        fids = hosted.get(site.id, ())
        if not fids and not all_sites:
            continue
        pool = counted.get(site.id, {})  # type: ignore[union-attr]
        given = allocate([plan.functions[f] for f in fids], pool, homes=site.homes)
        names.given.append(given)
        net = networks.get(site.id) if networks is not None else None
        funcs = [
            _function(f, given.get(f.id, {}), network.gate(f, net) or "", names)
            for f in (plan.functions[fid] for fid in fids)
        ]
        worked.append((site, pool, net, funcs))
    short = {
        id(f): (site.id, f)
        for site, _, _, funcs in worked
        for f in funcs
        if any(r.have < r.target for r in f.requirements)
    }
    if explain is not None and hasattr(explain, "prepare"):
        explain.prepare(list(short.values()))
    sites = []
    for site, pool, net, funcs in worked:
        blocking, gated = [], []
        for state in funcs:
            if id(state) in short:
                blocking += (
                    explain(site.id, state, pool) if explain else [_short_words(plan, state)]
                )
            if state.network:
                gated.append(state.name)
        if gated and net is not None:  # one line for all that wait for the staff network
            blocking.append(f"{', '.join(gated)}: {net.words()}")
        blocking = _merge_same(blocking)
        spare = {}
        for kind, buckets in pool.items():
            n = 0
            for b in buckets:
                n += b.left
            if n:
                spare[kind] = n
        needed = any(plan.functions[f.id].municipal_network for f in funcs)
        sites.append(
            SiteState(
                site.id,
                site.name,
                tuple(funcs),
                net if needed else None,
                tuple(blocking),
                spare,
            )
        )
    return Readiness(scenario, tuple(sites), generated_at, sample=sample, names=names)


def _merge_same(lines: list[str]) -> list[str]:
    """Functions blocked by the same thing (passports and driving licences, sharing their
    workstations) share one line: "Pas, Kørekort: 1 of 2 ..."."""
    names: dict[str, list[str]] = {}
    for line in lines:
        name, sep, rest = line.partition(": ")
        names.setdefault(rest if sep else line, []).append(name if sep else "")
    return [f"{', '.join(n)}: {rest}" if all(n) else rest for rest, n in names.items()]


def _function(func, given: dict[str, Taken], why: str, names: _Names = _NAMED) -> FunctionState:
    reqs = []
    worst = None
    for r in func.requires:
        taken = given.get(r.kind) or Taken()
        have = taken.amount
        state = state_of(have, r.min, r.target)
        req = RequirementState(r.kind, have, r.min, r.target, state, taken, names)
        reqs.append(req)
        # The function is as good as its weakest requirement; show that one's numbers.
        rank = (_ORDER[state], have - r.target)
        if worst is None or rank < worst[0]:
            worst = (rank, req)
    w = worst[1]  # type: ignore[index]
    state = NOT_READY if why else w.state
    return FunctionState(func.id, func.name, state, w.have, w.min, w.target, tuple(reqs), why)


def _short_words(plan: Plan, func: FunctionState) -> str:
    """What is short, without knowing where things are: "Pas: 1 of 2 Pas- og ..."."""
    short = [
        f"{r.have} of {r.target} {plan.kinds[r.kind].name if r.kind in plan.kinds else r.kind}"
        for r in func.requirements
        if r.have < r.target
    ]
    return f"{func.name}: {', '.join(short)}"


def compute(
    db: Database,
    plan: Plan,
    *,
    all_sites: bool = False,
    at: datetime | None = None,
    tags: bool = True,
) -> Readiness:
    """Readiness of every site under the scenario in force, read from the store.

    `tags=False` leaves naming the counted assets until something reads a requirement's
    `tags` (on this connection and thread): the dashboard and the text status never do."""
    from tracker.store import snapshot

    at = at or datetime.now(UTC)
    # One read transaction: the counts, the blocking words and the names all see one state.
    with snapshot(db), gcpause.paused():  # many rows and small objects, no cycles: ~8% of the time
        state = _compute(db, plan, all_sites, at)
        if tags:
            state.names.ensure()
    return state


def _compute(db: Database, plan: Plan, all_sites: bool, at: datetime) -> Readiness:
    from tracker import blocking
    from tracker.store import now, sample_source

    scenario = moves.active_scenario(db, plan)
    return evaluate(
        plan,
        scenario,
        units.buckets(db, plan, at),
        all_sites=all_sites,
        generated_at=now(),
        sample=sample_source(db),
        networks=network.site_networks(db, plan, at=at),
        explain=blocking.Explainer(db, plan, at),
        load_tags=lambda wanted: units.load_tags(db, plan, at, wanted),  # on first demand
    )


SAMPLE_NOTE = (
    "SAMPLE DATA: this database holds the sample inventory, not yours;"
    " `tracker import FILE.csv` your inventory to replace it"
)
