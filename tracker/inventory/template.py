"""The mapping template ``--write-map`` writes: every value of a file, to fill in.

With ``--map`` as well, the template keeps every line of that map: a value's own line (a
category's, not one of its models'), the model lines (which no column of the file lists), and
lines that match nothing in this file, so importing with the template means what the map meant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.inventory import snipeit
from tracker.inventory.mapping import SKIP, TABLES, choices, comment, toml_string

if TYPE_CHECKING:
    from tracker.inventory.mapping import Resolver

_HEADINGS = {"kinds": "plan kinds: ", "sites": "plan sites: ", "steps": "steps: "}
_LABEL = {"kinds": "kind", "sites": "site", "steps": "step"}


def _rhs(target: str | None) -> str:
    return "false" if target == SKIP else toml_string(target or "")


def write(resolver: Resolver, source: str, n_rows: int) -> str:
    mapping = resolver.mapping
    out = [
        f"# Mapping for: tracker import {source} --map THIS-FILE",
        f"# Written by --write-map from {n_rows} row(s). Each line maps one value, exactly",
        '# as the file writes it, to the plan\'s id (or name). A value left "" stops the',
        "# import; false leaves its rows out.",
    ]
    if mapping.path:
        out.append(f"# Every line of {comment(mapping.path)} is kept, also those this file lacks.")
    for table in TABLES:
        out += ["", f"[{table}]"]
        label = resolver.labels[_LABEL[table]]
        out.append(f"# {label} = {_HEADINGS[table]}{choices(resolver.plan, table)}")
        if table == "kinds":
            out.append("# A model name may be mapped here too; it wins over its category.")
        written: set[str] = set()
        for value, seen in sorted(resolver.seen[table].items(), key=lambda kv: -kv[1].rows):
            written.add(value)
            target = seen.target
            note = f"{seen.rows} row(s)"
            if target is None and seen.lines:
                note += ": fill in"
                if table == "steps" and value.casefold() in snipeit.UNCLEAR_STATUSES:
                    note += " (Snipe-IT status with no one step)"
            if seen.models:
                models = ", ".join(f"{m} ({n})" for m, n in seen.models.most_common(5))
                more = len(seen.models) - 5
                note += f"; models: {models}" + (f" and {more} more" if more > 0 else "")
            line = f"{toml_string(value)} = {_rhs(target)}  # {comment(note)}"
            if target is None and not seen.lines:
                # Every row has a model mapped below: a "" here would read as "fill in".
                line = f"# {line}; every row's model is mapped below"
            out.append(line)
        for key, target in mapping.tables[table].items():
            if key in written:
                continue
            if key in resolver.used[table] and table == "kinds":
                n = sum(s.models[key] for s in resolver.seen[table].values())
                note = f"model, {n} row(s)"
            elif key in resolver.used[table]:
                note = "matches values above as the file writes them"  # a status with (meta)
            else:
                note = "matches no value in this file"
            out.append(f"{toml_string(key)} = {_rhs(target)}  # {comment(note)} (from the map)")
    return "\n".join(out) + "\n"
