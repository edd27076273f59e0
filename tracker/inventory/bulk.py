"""The common case of an import, checked column by column: a clean file in the tracker's format.

Checked row by row (`importer`), a 100,000-row file costs a few microseconds of Python a row,
most of a `tracker import`. Here each column is checked at once with builtins that loop in C
(``map``, ``zip``, ``set``, ``str`` methods over the column joined), each distinct value is
resolved once, and the rows are built by ``zip``. Whatever this cannot decide the same way (a
problem to report, a value the plan does not know, a row the mapping leaves out, Snipe-IT's
format) returns None before anything is counted, and the importer checks the rows one by one:
the result is the same either way (tests/test_import_bulk.py imports files both ways).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

from tracker import codes, validate
from tracker.inventory import dates
from tracker.inventory.mapping import SKIP, Resolver
from tracker.plan import Plan

MAX_QUANTITY = 1_000_000
"""More in one box is a typo (the importer's limit too)."""


@dataclass
class Checked:
    """What the importer's loop would have built from the same rows."""

    lines: Sequence[int]
    kits: list[tuple[str, int, str]]
    seen_tags: dict[str, int]
    columns: tuple[Iterable, ...]
    """The rows by column, in the order of a row of the importer's `out`: the writer binds
    them from these (`merge.insert`) unless `merge` changed rows (a stored asset)."""

    def rows(self) -> list[tuple]:
        """The importer's `out`: a tuple a row (for `merge` and kits; not made otherwise)."""
        return list(zip(*self.columns, strict=False))  # (repeat: as long as the others)


@dataclass
class Context:
    """What the check needs from the importer besides the rows."""

    plan: Plan
    resolver: Resolver
    at: str
    departments: dict[str, str]
    """A department as the plan spells it, or casefolded -> the plan's spelling."""
    site_department: dict[str, str]
    good_hosts: Callable[[str], object]
    """True-ish when each line of the text is a host name without a port (one call a file)."""
    host_problem: Callable[[str], str | None]
    """Why a host name cell is refused, or None (the importer's test)."""


def check(
    lines: Sequence[int], fields: tuple[tuple[str, ...], ...], ctx: Context
) -> Checked | None:
    """The rows of a plain tracker-format file (`rows.read_columns`: each row's line, and a
    column of cells per field) as the importer's loop would build them, or None when a row
    needs that loop (a problem, an unknown or left-out value)."""
    (tags, kind_texts, names, serials, site_texts, step_texts, hostnames, notes, home_texts,
     manufacturers, models, purchase_dates, _, _, department_texts, kit_texts, quantity_texts,
     holders) = fields  # fmt: skip
    # Cheap, and nothing counted yet: an empty required cell or a bad or repeated tag.
    if not (all(tags) and all(names) and all(kind_texts) and all(site_texts)):
        return None
    joined = "\n".join(tags)
    if joined.count("\n") != len(tags) - 1 or not codes.GOOD_TAG_LINES.fullmatch(joined):
        return None
    keys = codes.keys_for_valid_tags(tags)
    if len(set(keys)) != len(keys):  # a label code twice (a tag twice too: same code)
        return None
    if any(hostnames):
        hosts = list(filter(None, hostnames))
        if not ctx.good_hosts("\n".join(hosts)) and any(map(ctx.host_problem, hosts)):
            return None
    dated = _column(purchase_dates, _date)
    quantities = _column(quantity_texts, _quantity)
    if dated is None or quantities is None:
        return None
    kit_rows = [(kit, n) for n, kit in enumerate(kit_texts) if kit] if any(kit_texts) else []
    if any(kit == tags[n] for kit, n in kit_rows):
        return None
    known = ctx.departments  # the plan's spelling, whatever the file's (as the loop stores)
    department_of = {d: known.get(d) or known.get(d.casefold())
                     for d in dict.fromkeys(department_texts) if d}  # fmt: skip
    if None in department_of.values():
        return None
    # Each distinct value resolved once, in the order the loop would first meet it (the order
    # in which unknown values are reported): a Counter keeps that order, and counts the rows.
    resolver = ctx.resolver
    kind_pairs: Iterable = kind_texts  # (category, model) pairs, or categories if no model
    if any(models):
        kind_pairs = list(zip(kind_texts, models, strict=True))
    kind_rows, step_rows = Counter(kind_pairs), Counter(step_texts)
    site_rows = Counter(site_texts)
    met: Iterable[str] = site_rows
    if any(home_texts):  # a home the loop resolves: given, and not the row's site
        met = dict.fromkeys(chain.from_iterable(zip(site_texts, home_texts, strict=True)))
        site_rows.update(h for h, s in zip(home_texts, site_texts, strict=True) if h and h != s)
    if kind_pairs is kind_texts:
        kind_of = {k: resolver.peek_kind(k, "") for k in kind_rows}
        kind_rows = Counter({(k, ""): n for k, n in kind_rows.items()})
    else:
        kind_of = {p: resolver.peek_kind(*p) for p in kind_rows}
    site_of = {t: resolver.peek_site(t) for t in met if t}
    step_of = {t: resolver.peek_step(t) for t in step_rows}
    targets = chain(kind_of.values(), site_of.values(), step_of.values())
    if any(t is None or t == SKIP for t in targets):
        return None
    kinds = list(map(kind_of.__getitem__, kind_pairs))
    if quantities is not _ONES and set(quantities) != {1}:
        stock = {k.id: k.stock for k in ctx.plan.kinds.values()}
        if any(q != 1 and not stock[k] for q, k in zip(quantities, kinds, strict=True)):
            return None
    sites = list(map(site_of.__getitem__, site_texts))
    homes: list[str] | tuple[str, ...] = home_texts  # all empty: not given
    places = sites  # where each row's department comes from, when it names none
    if any(home_texts):
        site_of[""] = ""
        homes = list(map(site_of.__getitem__, home_texts))
        places = [h or s for h, s in zip(homes, sites, strict=True)]
    site_department = ctx.site_department
    if department_of:
        departments = [
            department_of[d] if d else site_department[p]
            for d, p in zip(department_texts, places, strict=True)
        ]
    else:
        departments = list(map(site_department.__getitem__, places))
    resolver.count(kind_rows, site_rows, step_rows)
    steps = list(map(step_of.__getitem__, step_texts))
    columns = (tags, keys, kinds, names, serials, homes, sites, steps, hostnames, notes,
               repeat(ctx.at), manufacturers, models, dated, departments, kit_texts, quantities,
               holders)  # fmt: skip
    kits = [(kit, lines[n], kinds[n]) for kit, n in kit_rows]
    # Each tag's line: asked only about kits (`merge.check_kits`).
    seen_tags = dict(zip(tags, lines, strict=True)) if kits else {}
    return Checked(lines, kits, seen_tags, columns)


_ONES = repeat(1)


def _date(text: str) -> str | None:
    date, why = dates.parse(text)
    return None if why else date


def _quantity(text: str) -> int | None:
    try:
        return validate.integer(text, low=0, high=MAX_QUANTITY)
    except validate.Invalid:
        return None


def _column(cells: tuple[str, ...], read) -> list | tuple | None:
    """`cells` read by `read` (once per distinct value; an empty cell stays as it is, a
    quantity 1), or None if one is refused. A column with no value is returned as it is."""
    if not any(cells):
        return _ONES if read is _quantity else cells
    value_of = {text: read(text) for text in dict.fromkeys(cells) if text}
    if None in value_of.values():
        return None
    value_of[""] = 1 if read is _quantity else ""
    return list(map(value_of.__getitem__, cells))
