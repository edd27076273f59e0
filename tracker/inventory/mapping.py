"""Mapping a source's own values (categories, models, locations, statuses) to the plan's ids.

A real inventory names things its own way: Snipe-IT's "Desktops" and "City Hall" are not the
plan's ``pass_ws`` and ``raadhus``. A mapping file (TOML, ``--map``) says what each value means,
by exact value, in three tables: ``[kinds]``, ``[sites]`` and ``[steps]``; ``false`` leaves the
value's rows out of the import. Without one, every value that resolves to nothing is reported
once, with its row count and lines, and ``--write-map`` writes a template to fill in.
"""

from __future__ import annotations

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


def choices(plan: Plan, table: str) -> str:
    if table == "steps":
        return ", ".join(store.STEPS)
    items = plan.kinds.values() if table == "kinds" else plan.sites.values()
    return ", ".join(f"{i.id} ({i.name})" for i in items)


def load_map(path: str | Path, plan: Plan) -> Mapping:
    """Read and check a mapping file: every target must be a plan id or name, or false."""
    import tomllib  # only here: the plan comes from its cache without it

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
                    f" (one of: {choices(plan, table)})"
                )
            mapping.tables[table][value] = hit
    return mapping


@dataclass
class _Seen:
    target: str | None
    """What the value means by itself: its map line, or the plan id or name it is; None if
    nothing (a category's rows may still resolve through their models' map lines)."""
    rows: int = 0
    lines: list[int] = field(default_factory=list)
    """The rows it left without a kind, site or step."""
    columns: dict[str, list[int]] = field(default_factory=dict)
    """The same rows by the column the value stood in (a location can be a Location on some
    rows and a Default Location on others)."""
    models: Counter[str] = field(default_factory=Counter)


LABELS = ("kind", "model", "site", "home_site", "checkout_site", "step")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


class Resolver:
    """Turns a file's kind, site and step values into plan ids, and remembers what it saw.

    Results are cached per distinct value, so a 100,000-row file costs a dict look-up a cell.
    """

    def __init__(self, plan: Plan, mapping: Mapping | None = None, labels=None) -> None:
        self.plan = plan
        self.mapping = mapping or Mapping("")
        self.labels = {**{f: f for f in LABELS}, **(labels or {})}
        """Field -> the file's column name, for messages."""
        self._lookup = {t: _plan_lookup(plan, t) for t in ("kinds", "sites")}
        self._ids = {"kinds": set(plan.kinds), "sites": set(plan.sites)}
        self.seen: dict[str, dict[str, _Seen]] = {t: {} for t in TABLES}
        self.used: dict[str, set[str]] = {t: set() for t in TABLES}
        """The map's keys that matched a value of the file."""
        self._kinds: dict[tuple[str, str], tuple] = {}
        self._sites: dict[str, tuple] = {}
        self._steps: dict[str, tuple] = {}

    def _seen(self, table: str, value: str, target: str | None) -> _Seen | None:
        if not value:
            return None
        seen = self.seen[table].get(value)
        if seen is None:
            seen = self.seen[table][value] = _Seen(target)
        return seen

    def _plan_id(self, table: str, value: str) -> str | None:
        if value in self._ids[table]:
            return value
        return self._lookup[table].get(value.casefold())

    def _mapped(self, table: str, *keys: str) -> str | None:
        """The map's line for the first of `keys` it has (marked used), or None."""
        mapped = self.mapping.tables[table]
        for key in keys:
            if key and key in mapped:
                self.used[table].add(key)
                return mapped[key]
        return None

    def _resolve_kind(self, category: str, model: str) -> tuple:
        value = category or model
        own = self._mapped("kinds", value) or self._plan_id("kinds", value)
        target = (category and self._mapped("kinds", model)) or own
        column = self.labels["kind" if category else "model"]
        return target, self._seen("kinds", value, own), model if category else "", column

    def kind(self, category: str, model: str, line: int) -> str | None:
        """The kind id for a row's category (or model), SKIP, or None when unknown."""
        hit = self._kinds.get((category, model))
        if hit is None:
            hit = self._kinds[(category, model)] = self._resolve_kind(category, model)
        target, seen, counted_model, column = hit
        if seen is not None:
            seen.rows += 1
            if target is None:
                seen.lines.append(line)
                seen.columns.setdefault(column, []).append(line)
            if counted_model:
                seen.models[counted_model] += 1
        return target

    def _resolve_site(self, text: str) -> tuple:
        target = self._mapped("sites", text) or self._plan_id("sites", text)
        return target, self._seen("sites", text, target)

    def site(self, text: str, line: int, field: str = "site") -> str | None:
        """The site id for a location (not empty) from `field`'s column, SKIP, or None."""
        hit = self._sites.get(text)
        if hit is None:
            hit = self._sites[text] = self._resolve_site(text)
        target, seen = hit
        if seen is not None:
            seen.rows += 1
            if target is None:
                seen.lines.append(line)
                seen.columns.setdefault(self.labels[field], []).append(line)
        return target

    def _resolve_step(self, text: str) -> tuple:
        bare = snipeit.without_meta(text).strip()
        target = self._mapped("steps", bare, text) or snipeit.step_from_status(bare)
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
                seen.columns.setdefault(self.labels["step"], []).append(line)
        return target

    # The column-wise check of a clean file (tracker.inventory.bulk): each distinct value is
    # resolved once (`peek_*`: nothing counted), then the rows are counted at once (`count`), to
    # the same effect as `kind`, `site` and `step` row by row on values that all resolved.

    def peek_kind(self, category: str, model: str) -> str | None:
        hit = self._kinds.get((category, model))
        if hit is None:
            hit = self._kinds[(category, model)] = self._resolve_kind(category, model)
        return hit[0]

    def peek_site(self, text: str) -> str | None:
        hit = self._sites.get(text)
        if hit is None:
            hit = self._sites[text] = self._resolve_site(text)
        return hit[0]

    def peek_step(self, text: str) -> str | None:
        hit = self._steps.get(text)
        if hit is None:
            hit = self._steps[text] = self._resolve_step(text)
        return hit[0]

    def count(self, kinds: Counter, sites: Counter, steps: Counter) -> None:
        """Count the rows of values `peek_*` resolved to a plan id: (category, model), site
        and step text -> rows."""
        for (category, model), n in kinds.items():
            target, seen, counted_model, _ = self._kinds[(category, model)]
            if seen is not None:
                seen.rows += n
                if counted_model:
                    seen.models[counted_model] += n
        for cache, counts in ((self._sites, sites), (self._steps, steps)):
            for text, n in counts.items():
                seen = cache[text][1]
                if seen is not None:
                    seen.rows += n

    def unknown(self) -> list[tuple[str, str, _Seen]]:
        return [
            (table, value, seen)
            for table in TABLES
            for value, seen in self.seen[table].items()
            if seen.lines
        ]

    def report(self, path: str) -> tuple[list[str], list[str]]:
        """(one line per value that resolved to nothing and column it stood in, the hint how to
        map them); both empty if none."""
        unknown = self.unknown()
        if not unknown:
            return [], []
        lines = []
        for table, value, seen in unknown:
            why = ""
            if table == "steps" and value.casefold() in snipeit.UNCLEAR_STATUSES:
                why = " (a Snipe-IT status with no one step)"
            for column, at_lines in seen.columns.items():
                n = len(at_lines)
                rows = "1 row" if n == 1 else f"{n} rows"
                at = "line" if n == 1 else "lines"
                lines.append(
                    f"{path}: unknown {column} {value!r}{why} on {rows},"
                    f" {at} {line_ranges(at_lines)}"
                )
        tables = sorted({t for t, _, _ in unknown}, key=TABLES.index)
        what = " or ".join(_WHAT[t] for t in tables)
        hint = (
            f"{path}: {len(unknown)} value(s) are not in the plan: map each to a {what} in a"
            f" mapping file (--map MAP.toml); 'tracker import {path} --write-map MAP.toml'"
            " writes one to fill in, listing every value with its rows"
        )
        return lines, [hint]

    def _values(self, table: str) -> list[str]:
        """Every value of the file the map's `table` could have named (for kinds, models too)."""
        values = list(self.seen[table])
        if table == "kinds":
            values += [m for seen in self.seen[table].values() for m in seen.models]
        return values

    def unused(self, source: str) -> list[str]:
        """One line per map key that matched nothing in `source`, with a did-you-mean for a
        value of the file that differs only in letter case or spaces."""
        out = []
        for table in TABLES:
            keys = [k for k in self.mapping.tables[table] if k not in self.used[table]]
            if not keys:
                continue
            near = {_fold(v): v for v in self._values(table)}
            for key in keys:
                guess = near.get(_fold(key))
                also = f"; did you mean {toml_string(guess)}?" if guess else ""
                out.append(
                    f"{self.mapping.path}: [{table}] {toml_string(key)} matches no value in"
                    f" {source}{also}"
                )
        return out


def comment(text: str) -> str:
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
