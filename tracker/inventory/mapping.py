"""Mapping a source's own values (categories, models, locations, statuses) to the plan's ids.

A real inventory names things its own way: Snipe-IT's "Desktops" and "City Hall" are not the
plan's ``pass_ws`` and ``raadhus``. A mapping file (TOML, ``--map``) says what each value means,
by exact value, in three tables: ``[kinds]``, ``[sites]`` and ``[steps]``; ``false`` leaves the
value's rows out of the import. Without one, every value that resolves to nothing is reported
once, with its row count and lines, and ``--write-map`` writes a template to fill in.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tracker import store
from tracker.inventory import snipeit
from tracker.plan import Plan

SKIP = "\x00skip"
"""What a value mapped to ``false`` resolves to: its rows are left out."""

TABLES = ("kinds", "sites", "steps")
_WHAT = {"kinds": "kind", "sites": "site", "steps": "step"}


class MapError(ValueError):
    """A mapping file that cannot be used; the message names the file, table and value."""


@dataclass
class Mapping:
    path: str
    tables: dict[str, dict[str, str]] = field(default_factory=lambda: {t: {} for t in TABLES})
    """Table -> source value -> plan id, or SKIP."""


def _plan_lookup(plan: Plan, table: str) -> dict[str, str]:
    """Casefolded id or name -> id, for kinds or sites."""
    items = plan.kinds.values() if table == "kinds" else plan.sites.values()
    out = {i.name.casefold(): i.id for i in items}
    if table == "kinds":  # old ids a file may still use (nemid_ws for mitid_ws)
        out.update({a.casefold(): i.id for i in plan.kinds.values() for a in i.aliases})
    out.update({i.id.casefold(): i.id for i in items})
    return out


def _choices(plan: Plan, table: str) -> str:
    if table == "steps":
        return ", ".join(store.STEPS)
    items = plan.kinds.values() if table == "kinds" else plan.sites.values()
    return ", ".join(f"{i.id} ({i.name})" for i in items)


def load_map(path: str | Path, plan: Plan) -> Mapping:
    """Read and check a mapping file: every target must be a plan id or name, or false."""
    path = str(path)
    try:
        data = tomllib.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except OSError as e:
        raise MapError(f"{path}: cannot read: {e.strerror or e}") from e
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise MapError(f"{path}: not a TOML mapping file: {e}") from e
    mapping = Mapping(path)
    for table, entries in data.items():
        if table not in TABLES or not isinstance(entries, dict):
            raise MapError(f"{path}: unknown table [{table}] (expected [kinds], [sites], [steps])")
        lookup = _plan_lookup(plan, table) if table != "steps" else {}
        for value, target in entries.items():
            where = f"{path}: [{table}] {toml_string(value)}"
            if target is False:
                mapping.tables[table][value] = SKIP
                continue
            if not isinstance(target, str):
                raise MapError(f"{where}: must be a {_WHAT[table]} id in quotes, or false")
            if not target.strip():
                continue  # a template line not filled in yet: the value stays unmapped
            if table == "steps":
                hit = snipeit.step_from_status(target)
                if target.strip().casefold() in snipeit.UNCLEAR_STATUSES:
                    hit = None
            else:
                hit = lookup.get(target.strip().casefold())
            if hit is None:
                raise MapError(
                    f"{where} = {toml_string(target)}: no such {_WHAT[table]}"
                    f" (one of: {_choices(plan, table)})"
                )
            mapping.tables[table][value] = hit
    return mapping


@dataclass
class _Seen:
    target: str | None
    rows: int = 0
    lines: list[int] = field(default_factory=list)
    models: Counter[str] = field(default_factory=Counter)


class Resolver:
    """Turns a file's kind, site and step values into plan ids, and remembers what it saw.

    Results are cached per distinct value, so a 100,000-row file costs a dict look-up a cell.
    """

    def __init__(self, plan: Plan, mapping: Mapping | None = None, columns=None) -> None:
        self.plan = plan
        self.mapping = mapping or Mapping("")
        self.columns = {"kinds": "kind", "sites": "site", "steps": "step", **(columns or {})}
        self._lookup = {t: _plan_lookup(plan, t) for t in ("kinds", "sites")}
        self._ids = {"kinds": set(plan.kinds), "sites": set(plan.sites)}
        self.seen: dict[str, dict[str, _Seen]] = {t: {} for t in TABLES}
        self._kinds: dict[tuple[str, str], tuple] = {}
        self._sites: dict[str, tuple] = {}
        self._steps: dict[str, tuple] = {}

    def _seen(self, table: str, value: str, target: str | None) -> _Seen | None:
        if not value:
            return None
        seen = self.seen[table].get(value)
        if seen is None:
            seen = self.seen[table][value] = _Seen(target)
        elif target is None:
            seen.target = None  # e.g. a category with one mapped model and one unmapped
        return seen

    def _plan_id(self, table: str, value: str) -> str | None:
        if value in self._ids[table]:
            return value
        return self._lookup[table].get(value.casefold())

    def _resolve_kind(self, category: str, model: str) -> tuple:
        mapped = self.mapping.tables["kinds"]
        target = (model and mapped.get(model)) or mapped.get(category)
        if target is None:
            target = self._plan_id("kinds", category) if category else None
            if target is None and not category and model:
                target = self._plan_id("kinds", model)
        seen = self._seen("kinds", category or model, target)
        return target, seen, model if category else ""

    def kind(self, category: str, model: str, line: int) -> str | None:
        """The kind id for a row's category (or model), SKIP, or None when unknown."""
        hit = self._kinds.get((category, model))
        if hit is None:
            hit = self._kinds[(category, model)] = self._resolve_kind(category, model)
        target, seen, counted_model = hit
        if seen is not None:
            seen.rows += 1
            if target is None:
                seen.lines.append(line)
            if counted_model:
                seen.models[counted_model] += 1
        return target

    def _resolve_site(self, text: str) -> tuple:
        target = self.mapping.tables["sites"].get(text)
        if target is None:
            target = self._plan_id("sites", text)
        return target, self._seen("sites", text, target)

    def site(self, text: str, line: int) -> str | None:
        """The site id for a location (not empty), SKIP, or None when unknown."""
        hit = self._sites.get(text)
        if hit is None:
            hit = self._sites[text] = self._resolve_site(text)
        target, seen = hit
        if seen is not None:
            seen.rows += 1
            if target is None:
                seen.lines.append(line)
        return target

    def _resolve_step(self, text: str) -> tuple:
        bare = snipeit.without_meta(text).strip()
        mapped = self.mapping.tables["steps"]
        target = mapped.get(bare) or mapped.get(text)
        if target is None:
            target = snipeit.step_from_status(bare)
        return target, self._seen("steps", bare, target)

    def step(self, text: str, line: int) -> str | None:
        """The step for a status (Snipe-IT's ``(meta)`` suffix allowed), SKIP, or None."""
        hit = self._steps.get(text)
        if hit is None:
            hit = self._steps[text] = self._resolve_step(text)
        target, seen = hit
        if seen is not None:
            seen.rows += 1
            if target is None:
                seen.lines.append(line)
        return target

    def unknown(self) -> list[tuple[str, str, _Seen]]:
        return [
            (table, value, seen)
            for table in TABLES
            for value, seen in self.seen[table].items()
            if seen.lines
        ]

    def report(self, path: str) -> list[str]:
        """One line per value that resolved to nothing, then how to map them; [] if none."""
        unknown = self.unknown()
        if not unknown:
            return []
        lines = []
        for table, value, seen in unknown:
            why = ""
            if table == "steps" and value.casefold() in snipeit.UNCLEAR_STATUSES:
                why = " (a Snipe-IT status with no one step)"
            n = len(seen.lines)
            rows = "1 row" if n == 1 else f"{n} rows"
            at = "line" if len(seen.lines) == 1 else "lines"
            lines.append(
                f"{path}: unknown {self.columns[table]} {value!r}{why} on {rows},"
                f" {at} {line_ranges(seen.lines)}"
            )
        tables = sorted({t for t, _, _ in unknown}, key=TABLES.index)
        what = " or ".join(_WHAT[t] for t in tables)
        lines.append(
            f"{path}: {len(unknown)} value(s) are not in the plan: map each to a {what} in a"
            f" mapping file (--map MAP.toml); 'tracker import {path} --write-map MAP.toml'"
            " writes one to fill in, listing every value with its rows"
        )
        return lines

    def template(self, source: str, n_rows: int) -> str:
        """A mapping file listing every distinct value, with a best guess where one is clear."""
        out = [
            f"# Mapping for: tracker import {source} --map THIS-FILE",
            f"# Written by --write-map from {n_rows} row(s). Each line maps one value, exactly",
            '# as the file writes it, to the plan\'s id (or name). A value left "" stops the',
            "# import; false leaves its rows out.",
        ]
        headings = {
            "kinds": "plan kinds: ",
            "sites": "plan sites: ",
            "steps": "steps: ",
        }
        for table in TABLES:
            out += ["", f"[{table}]"]
            out.append(f"# {self.columns[table]} = {headings[table]}{_choices(self.plan, table)}")
            if table == "kinds":
                out.append("# A model name may be mapped here too; it wins over its category.")
            for value, seen in sorted(self.seen[table].items(), key=lambda kv: -kv[1].rows):
                target = seen.target
                rhs = "false" if target == SKIP else toml_string(target or "")
                note = f"{seen.rows} row(s)"
                if target is None:
                    note += ": fill in"
                    if table == "steps" and value.casefold() in snipeit.UNCLEAR_STATUSES:
                        note += " (Snipe-IT status with no one step)"
                if seen.models:
                    models = ", ".join(f"{m} ({n})" for m, n in seen.models.most_common(5))
                    more = len(seen.models) - 5
                    note += f"; models: {models}" + (f" and {more} more" if more > 0 else "")
                out.append(f"{toml_string(value)} = {rhs}  # {_comment(note)}")
        return "\n".join(out) + "\n"


def _comment(text: str) -> str:
    """Text safe inside a TOML comment (no control characters, no line breaks)."""
    return "".join(c if c >= " " and c != "\x7f" else "?" for c in text)


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: any value a CSV cell can hold reads back the same."""
    out = ['"']
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c < " " or c == "\x7f":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def line_ranges(lines: list[int], limit: int = 8) -> str:
    """[2, 3, 4, 9, 12] -> '2-4, 9, 12'; past `limit` ranges, '… (N more)'."""
    ranges: list[list[int]] = []
    for n in lines:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit])
    if len(ranges) > limit:
        text += f" … ({sum(b - a + 1 for a, b in ranges[limit:])} more)"
    return text
