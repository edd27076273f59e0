"""The plan's data model: sites, equipment kinds, critical functions, scenarios, contacts.

Frozen dataclasses, built and validated by `tracker.plan` from the TOML file (which also
re-exports them: import them from there).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PlanError(ValueError):
    """A plan file that cannot be used; the message names the file and the key path."""


@dataclass(frozen=True)
class Site:
    """A place equipment can be: a town hall, a library, the home workplaces, the IT store."""

    id: str
    name: str
    address: str = ""
    functions: tuple[str, ...] = ()
    municipal_lan: bool = False
    """The site is on the municipal network itself: staff need no VPN and no network check."""
    department: str = ""
    """The department whose equipment lives here: an asset whose row names no department
    belongs to its home site's department."""
    homes: bool = False
    """Staff home workplaces: equipment counts only in the hands of a named holder, and a
    function needing several kinds counts one seat per person holding all of them."""


@dataclass(frozen=True)
class Kind:
    """An equipment kind (a passport workstation, a printer), with its kit if it has one."""

    id: str
    name: str
    kiosk: bool = False
    """True for self-service PCs: they count only while their latest kiosk check passed."""
    aliases: tuple[str, ...] = ()
    """Older ids of this kind that imports still accept (nemid_ws for mitid_ws)."""
    parts: tuple[tuple[str, ...], ...] = ()
    """The kit: one slot per part, each slot the part kinds that can fill it (a photo stand
    or a camera). A unit of this kind counts only while every slot is filled at its site."""
    stock: bool = False
    """Consumables counted by quantity (a box of code displays), not one by one."""


@dataclass(frozen=True)
class Requirement:
    """What a function needs of one kind: at least `min` to open, `target` to run well."""

    kind: str
    min: int
    target: int


@dataclass(frozen=True)
class Function:
    """A critical function a site hosts (passports, MitID), with what it needs to open."""

    id: str
    name: str
    area: str
    requires: tuple[Requirement, ...]
    municipal_network: bool = False
    """Staff reach municipal systems (passports, MitID) over the VPN: the function counts at
    a site only while a staff network check there passed (see tracker/network.py)."""
    shares: str = ""
    """Functions with the same `shares` name count the same equipment (passports and driving
    licences are issued at one workstation); otherwise an asset serves one function."""
    accepts: tuple[str, ...] = ()
    """Departments besides `area` whose equipment counts for this function."""

    def takes(self, department: str) -> bool:
        """Whether equipment of `department` counts here ('' = unknown: counts anywhere)."""
        return not department or department == self.area or department in self.accepts


@dataclass(frozen=True)
class Move:
    """One manifest line of a scenario: `count` assets of `kind` go from `origin` to `to`."""

    kind: str
    count: int
    to: str
    origin: str | None = None


@dataclass(frozen=True)
class Scenario:
    """An incident: the sites it closes, who hosts which function, and what moves where."""

    id: str
    name: str
    description: str = ""
    closes: tuple[str, ...] = ()
    functions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    moves: tuple[Move, ...] = ()


@dataclass(frozen=True)
class Contact:
    """Whom to call for a role during an incident."""

    role: str
    name: str
    phone: str


@dataclass(frozen=True)
class Plan:
    """The whole plan file, checked: its sites, kinds, functions, scenarios and contacts."""

    path: str
    municipality: str
    municipality_short: str
    kiosk_interval_minutes: float
    sites: dict[str, Site]
    kinds: dict[str, Kind]
    functions: dict[str, Function]
    scenarios: dict[str, Scenario]
    contacts: tuple[Contact, ...]
    network_interval_minutes: float = 60.0
    """A staff network check counts for this long after it ran."""

    def site_functions(self, scenario: Scenario | None) -> dict[str, tuple[str, ...]]:
        """Which functions each site hosts, normally or while `scenario` is active."""
        hosted = {s.id: s.functions for s in self.sites.values()}
        if scenario is None:
            return hosted
        for closed in scenario.closes:
            hosted[closed] = ()
        hosted.update(scenario.functions)
        return hosted

    def kiosk_kinds(self) -> set[str]:
        return {k.id for k in self.kinds.values() if k.kiosk}

    def kind_id(self, name: str) -> str | None:
        """The kind an id or an old alias names, None if none does."""
        if name in self.kinds:
            return name
        return next((k.id for k in self.kinds.values() if name in k.aliases), None)

    def departments(self) -> set[str]:
        """Every department the plan names: its sites', its functions' and what they accept."""
        out = {s.department for s in self.sites.values() if s.department}
        for f in self.functions.values():
            out |= {f.area, *f.accepts} - {""}
        return out

    def department_of(self, department: str, home_site: str) -> str:
        """An asset's department: its own, else its home site's."""
        site = self.sites.get(home_site)
        return department or (site.department if site else "")
