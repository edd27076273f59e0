"""Readiness: for each site, is each critical function it hosts ready, degraded or not ready?

Pure over two inputs read in one go: counts of counted assets by (site, kind), and the set of
kiosks whose latest check passed recently. Only assets installed or in service at a site count;
a self-service PC counts only while its latest kiosk check is `ok` and younger than two check
intervals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from tracker import moves, network
from tracker.plan import Plan, Scenario

READY, DEGRADED, NOT_READY = "ready", "degraded", "not_ready"
STATE_LABELS = {READY: "ready", DEGRADED: "degraded", NOT_READY: "not ready"}


@dataclass(frozen=True)
class RequirementState:
    kind: str
    have: int
    min: int
    target: int
    state: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Readiness:
    scenario: Scenario | None
    sites: tuple[SiteState, ...]
    generated_at: str = field(default="")
    sample: str | None = None
    """The sample inventory the database was seeded from, until a real import: then the
    readiness shown is fiction, and every view of it says so (`SAMPLE_NOTE`)."""

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario.id if self.scenario else None,
            "generated_at": self.generated_at,
            "sample": self.sample,
            "sites": [
                {
                    "id": s.id,
                    "name": s.name,
                    "network": s.network.as_json() if s.network else None,
                    "blocking": list(s.blocking),
                    "functions": [
                        {
                            "id": f.id,
                            "name": f.name,
                            "state": f.state,
                            "have": f.have,
                            "min": f.min,
                            "target": f.target,
                            "requirements": [r.__dict__ for r in f.requirements],
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


def evaluate(
    plan: Plan,
    scenario: Scenario | None,
    counts: dict[tuple[str, str], int],
    *,
    all_sites: bool = False,
    generated_at: str = "",
    sample: str | None = None,
    networks: dict[str, network.SiteNetwork] | None = None,
) -> Readiness:
    """Readiness from counts by (site, kind). Pure: the tests feed it numbers directly.

    Sites that host no function in the scenario are left out unless `all_sites`.
    """
    hosted = plan.site_functions(scenario)
    sites = []
    for site in plan.sites.values():
        funcs = []
        blocking: list[str] = []
        for fid in hosted.get(site.id, ()):
            func = plan.functions[fid]
            reqs = tuple(
                RequirementState(
                    r.kind,
                    counts.get((site.id, r.kind), 0),
                    r.min,
                    r.target,
                    state_of(counts.get((site.id, r.kind), 0), r.min, r.target),
                )
                for r in func.requires
            )
            # The function is as good as its weakest requirement; show that one's numbers.
            worst = min(reqs, key=lambda r: (_ORDER[r.state], r.have - r.target))
            net = networks.get(site.id) if networks is not None else None
            why = network.gate(func, net) or ""
            state = NOT_READY if why else worst.state
            blocking += [why] if why else []
            funcs.append(
                FunctionState(
                    func.id, func.name, state, worst.have, worst.min, worst.target, reqs, why
                )
            )
        if funcs or all_sites:
            needed = any(plan.functions[f].municipal_network for f in hosted.get(site.id, ()))
            net = networks.get(site.id) if networks is not None and needed else None
            sites.append(SiteState(site.id, site.name, tuple(funcs), net, tuple(blocking)))
    return Readiness(scenario, tuple(sites), generated_at, sample=sample)


def counted_assets(
    db: Database, plan: Plan, at: datetime | None = None
) -> dict[tuple[str, str], int]:
    """Counts by (site, kind) of assets that count towards readiness right now."""
    at = at or datetime.now(UTC)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    kiosk_kinds = plan.kiosk_kinds()
    for site, kind, n in db.execute(
        "SELECT site, kind, count(*) FROM assets WHERE step IN ('in_service', 'installed')"
        " GROUP BY site, kind"
    ):
        if kind not in kiosk_kinds:
            counts[(site, kind)] = n
    if kiosk_kinds:
        fresh_since = (at - timedelta(minutes=2 * plan.kiosk_interval_minutes)).isoformat(
            timespec="milliseconds"
        )
        marks = ", ".join("?" * len(kiosk_kinds))
        for site, kind, n in db.execute(
            "SELECT a.site, a.kind, count(*) FROM assets a JOIN kiosk_latest k ON k.tag = a.tag"
            f" WHERE a.kind IN ({marks}) AND a.step IN ('in_service', 'installed')"
            " AND k.verdict = 'ok' AND k.checked_at >= ? GROUP BY a.site, a.kind",
            [*sorted(kiosk_kinds), fresh_since],
        ):
            counts[(site, kind)] = n
    return dict(counts)


def compute(db: Database, plan: Plan, *, all_sites: bool = False) -> Readiness:
    """Readiness of every site under the scenario in force, read from the store."""
    from tracker.store import now, sample_source

    scenario = moves.active_scenario(db, plan)
    return evaluate(
        plan,
        scenario,
        counted_assets(db, plan),
        all_sites=all_sites,
        generated_at=now(),
        sample=sample_source(db),
        networks=network.site_networks(db, plan),
    )


SAMPLE_NOTE = (
    "SAMPLE DATA: this database holds the sample inventory, not yours;"
    " `tracker import FILE.csv` your inventory to replace it"
)
