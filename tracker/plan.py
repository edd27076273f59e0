"""The contingency plan as data: sites, equipment kinds, critical functions, scenarios, contacts.

Loaded from TOML and validated up front, so a typo in the plan fails at start with the file, the
key path and what is wrong, instead of showing a wrong readiness picture during an incident.
"""

from __future__ import annotations

from collections.abc import Container
from pathlib import Path

from tracker import plan_cache, validate
from tracker.codes import key_for

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

MAX_COUNT = 10_000
"""The most assets one requirement or one move may name: a bigger number is a typo, and a move
of millions would hold the write lock for minutes building its manifest."""
MAX_INTERVAL_MINUTES = 7 * 24 * 60

DEFAULT_PLAN_NAME = "default_plan.toml"


from tracker.plan_model import (  # noqa: E402  (re-exported: the plan's types live there)
    Contact,
    Function,
    Kind,
    Move,
    Plan,
    PlanError,
    Requirement,
    Scenario,
    Site,
)

__all__ = [
    "Contact",
    "Function",
    "Kind",
    "Move",
    "Plan",
    "PlanError",
    "Requirement",
    "Scenario",
    "Site",
    "load_plan",
    "default_plan_path",
]


def default_plan_path() -> Path:
    # Package data is a file beside this module (pip unpacks wheels; editable installs use the
    # source tree): importlib.resources finds the same file, after 2 ms importing tempfile.
    return Path(__file__).with_name(DEFAULT_PLAN_NAME)


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate a plan file (the packaged default when `path` is None)."""
    path = Path(path) if path is not None else default_plan_path()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise PlanError(f"{path}: cannot read plan file: {e.strerror or e}") from e
    data = plan_cache.get(path, raw)
    if data is None:
        import tomllib  # here: only a plan not parsed before (plan_cache)

        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise PlanError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
        except tomllib.TOMLDecodeError as e:
            raise PlanError(f"{path}: invalid TOML: {e}") from e
        plan_cache.put(path, raw, data)
    return _Reader(str(path)).plan(data)


class _Reader:
    """Walks the TOML document, keeping the key path for error messages."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, what: str) -> PlanError:
        return PlanError(f"{self.path}: {key}: {what}")

    def table(self, data: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a table, got {_type_name(data)}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}" if key else unknown[0], "unknown key")
        return data

    def get(self, data: dict, key: str, name: str, typ: type, default: Any = ...) -> Any:
        full = f"{key}.{name}" if key else name
        if name not in data:
            if default is ...:
                raise self.fail(full, "missing")
            return default
        value = data[name]
        ok = isinstance(value, typ) and not (typ in (int, float) and isinstance(value, bool))
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise self.fail(full, f"expected {typ.__name__}, got {_type_name(value)}")
        try:
            if typ is float:
                value = validate.number(value)  # nan and inf are floats in TOML
            elif typ is int:
                value = validate.integer(value, low=-MAX_COUNT, high=MAX_COUNT)
        except validate.Invalid as e:
            raise self.fail(full, str(e)) from None
        if typ is str and not value.strip():
            raise self.fail(full, "must not be empty")
        return value

    def array(self, data: dict, key: str, name: str) -> list[Any]:
        return self.get(data, key, name, list, [])

    def ident(self, data: dict, key: str, seen: Container[str]) -> str:
        ident = self.get(data, key, "id", str)
        if not ident.replace("_", "").isalnum() or not ident.isascii():
            raise self.fail(f"{key}.id", f"{ident!r}: use letters, digits and _ only")
        if ident in seen:
            raise self.fail(f"{key}.id", f"duplicate id {ident!r}")
        return ident

    def ref(self, value: Any, key: str, known: dict[str, Any], what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected a {what} id, got {_type_name(value)}")
        if value not in known:
            raise self.fail(key, f"unknown {what} {value!r} (known: {', '.join(sorted(known))})")
        return value

    def plan(self, data: dict[str, Any]) -> Plan:
        top = {"municipality", "kiosk_checks", "sites", "kinds", "functions", "scenarios"}
        top |= {"network_checks"}
        self.table(data, "", top | {"contacts"})
        muni = self.table(
            self.get(data, "", "municipality", dict), "municipality", {"name", "short"}
        )
        kc = self.table(data.get("kiosk_checks", {}), "kiosk_checks", {"interval_minutes"})
        interval = self.get(kc, "kiosk_checks", "interval_minutes", float, 15.0)
        if not 0 < interval <= MAX_INTERVAL_MINUTES:
            raise self.fail(
                "kiosk_checks.interval_minutes",
                f"must be above 0 and at most {MAX_INTERVAL_MINUTES} (a week), got {interval:g}",
            )
        nc = self.table(data.get("network_checks", {}), "network_checks", {"interval_minutes"})
        network_interval = self.get(nc, "network_checks", "interval_minutes", float, 60.0)
        if not 0 < network_interval <= MAX_INTERVAL_MINUTES:
            raise self.fail(
                "network_checks.interval_minutes",
                f"must be above 0 and at most {MAX_INTERVAL_MINUTES} (a week),"
                f" got {network_interval:g}",
            )

        kinds: dict[str, Kind] = {}
        for i, raw in enumerate(self.array(data, "", "kinds")):
            key = f"kinds[{i}]"
            raw = self.table(raw, key, {"id", "name", "kiosk", "aliases", "parts", "stock"})
            ident = self.ident(raw, key, kinds)
            aliases = self.strings(raw, key, "aliases")
            kinds[ident] = Kind(
                ident,
                self.get(raw, key, "name", str),
                self.get(raw, key, "kiosk", bool, False),
                aliases,
                stock=self.get(raw, key, "stock", bool, False),
            )
        if not kinds:
            raise self.fail("kinds", "at least one equipment kind is needed")
        self.kits(data, kinds)

        functions: dict[str, Function] = {}
        for i, raw in enumerate(self.array(data, "", "functions")):
            key = f"functions[{i}]"
            raw = self.table(
                raw,
                key,
                {"id", "name", "area", "requires", "municipal_network", "shares", "accepts"},
            )
            ident = self.ident(raw, key, functions)
            reqs = []
            for j, req in enumerate(self.array(raw, key, "requires")):
                rkey = f"{key}.requires[{j}]"
                req = self.table(req, rkey, {"kind", "min", "target"})
                kind = self.ref(req.get("kind"), f"{rkey}.kind", kinds, "kind")
                lo = self.get(req, rkey, "min", int)
                hi = self.get(req, rkey, "target", int, lo)
                if lo < 0 or hi < lo:
                    raise self.fail(rkey, f"need 0 <= min <= target, got min={lo} target={hi}")
                reqs.append(Requirement(kind, lo, hi))
            if not reqs:
                raise self.fail(f"{key}.requires", "a function needs at least one requirement")
            functions[ident] = Function(
                ident,
                self.get(raw, key, "name", str),
                self.get(raw, key, "area", str, ""),
                tuple(reqs),
                self.get(raw, key, "municipal_network", bool, False),
                self.get(raw, key, "shares", str, ""),
                tuple(self.strings(raw, key, "accepts")),
            )

        sites: dict[str, Site] = {}
        # The site printing each label key: checked pairwise, 500 sites cost 0.1 s of every
        # command's start.
        site_keys: dict[str, str] = {}
        for i, raw in enumerate(self.array(data, "", "sites")):
            key = f"sites[{i}]"
            raw = self.table(
                raw,
                key,
                {"id", "name", "address", "functions", "municipal_lan", "department", "homes"},
            )
            ident = self.ident(raw, key, sites)
            # A site label carries LOC. and the id's letters and digits: ids that differ only
            # in `_` or case would print the same label, and a scan would find the first site.
            twin = site_keys.setdefault(key_for(ident), ident)
            if twin != ident:
                raise self.fail(
                    f"{key}.id",
                    f"{ident!r} would print the same site label as {twin!r} "
                    f"(LOC.{key_for(ident)}); rename one",
                )
            funcs = self.refs(raw, key, "functions", functions, "function")
            sites[ident] = Site(
                ident,
                self.get(raw, key, "name", str),
                self.get(raw, key, "address", str, ""),
                funcs,
                self.get(raw, key, "municipal_lan", bool, False),
                self.get(raw, key, "department", str, ""),
                self.get(raw, key, "homes", bool, False),
            )
        if not sites:
            raise self.fail("sites", "at least one site is needed")

        scenarios: dict[str, Scenario] = {}
        for i, raw in enumerate(self.array(data, "", "scenarios")):
            key = f"scenarios[{i}]"
            raw = self.table(
                raw, key, {"id", "name", "description", "closes", "functions", "moves"}
            )
            ident = self.ident(raw, key, scenarios)
            closes = self.refs(raw, key, "closes", sites, "site")
            hosted: dict[str, tuple[str, ...]] = {}
            fkey = f"{key}.functions"
            ftable = self.get(raw, key, "functions", dict, {})
            for site_id in ftable:
                self.ref(site_id, f"{fkey}.{site_id}", sites, "site")
                hosted[site_id] = self.refs(ftable, fkey, site_id, functions, "function")
            moves = []
            for j, mv in enumerate(self.array(raw, key, "moves")):
                mkey = f"{key}.moves[{j}]"
                mv = self.table(mv, mkey, {"kind", "count", "from", "to"})
                kind = self.ref(mv.get("kind"), f"{mkey}.kind", kinds, "kind")
                count = self.get(mv, mkey, "count", int)
                if count < 1:
                    raise self.fail(f"{mkey}.count", "must be at least 1")
                to = self.ref(mv.get("to"), f"{mkey}.to", sites, "site")
                origin = mv.get("from")
                if origin is not None:
                    self.ref(origin, f"{mkey}.from", sites, "site")
                moves.append(Move(kind, count, to, origin))
            scenarios[ident] = Scenario(
                ident,
                self.get(raw, key, "name", str),
                self.get(raw, key, "description", str, ""),
                closes,
                hosted,
                tuple(moves),
            )

        contacts = []
        for i, raw in enumerate(self.array(data, "", "contacts")):
            key = f"contacts[{i}]"
            raw = self.table(raw, key, {"role", "name", "phone"})
            contacts.append(
                Contact(
                    self.get(raw, key, "role", str),
                    self.get(raw, key, "name", str),
                    self.get(raw, key, "phone", str),
                )
            )

        return Plan(
            path=self.path,
            municipality=self.get(muni, "municipality", "name", str),
            municipality_short=self.get(muni, "municipality", "short", str),
            kiosk_interval_minutes=interval,
            sites=sites,
            kinds=kinds,
            functions=functions,
            scenarios=scenarios,
            contacts=tuple(contacts),
            network_interval_minutes=network_interval,
        )

    def strings(self, data: dict, key: str, name: str) -> tuple[str, ...]:
        values = self.get(data, key, name, list, [])
        for n, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                raise self.fail(f"{key}.{name}[{n}]", f"expected a string, got {value!r}")
        return tuple(values)

    def kits(self, data: dict[str, Any], kinds: dict[str, Kind]) -> None:
        """Fill each kind's `parts` once all kinds are known (a part is a kind too)."""
        for i, raw in enumerate(self.array(data, "", "kinds")):
            key = f"kinds[{i}].parts"
            slots = []
            for j, slot in enumerate(self.get(raw, f"kinds[{i}]", "parts", list, [])):
                options = slot if isinstance(slot, list) else [slot]
                if not options:
                    raise self.fail(f"{key}[{j}]", "an empty list of part kinds")
                slots.append(tuple(self.ref(o, f"{key}[{j}]", kinds, "kind") for o in options))
            ident = raw["id"]
            if any(ident in slot for slot in slots):
                raise self.fail(key, f"{ident!r} cannot be a part of itself")
            object.__setattr__(kinds[ident], "parts", tuple(slots))
        for kind in kinds.values():
            for alias in kind.aliases:
                if alias in kinds:
                    raise self.fail("kinds", f"alias {alias!r} of {kind.id!r} is a kind itself")

    def refs(
        self, data: dict, key: str, name: str, known: dict[str, Any], what: str
    ) -> tuple[str, ...]:
        values = self.get(data, key, name, list, [])
        return tuple(self.ref(v, f"{key}.{name}[{n}]", known, what) for n, v in enumerate(values))


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
