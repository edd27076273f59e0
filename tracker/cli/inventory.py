"""`tracker import` and `tracker export`: the inventory as CSV, in and out."""

from __future__ import annotations

import argparse
import sys

from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line

SHOWN_ERRORS = 50
"""Bad rows listed one per line; a binary or wholly wrong file would print thousands."""
SHOWN_CHARS = 300
"""A bad row's line is cut here: a row of a binary file can be megabytes long."""


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    import os

    from tracker.files import is_database
    from tracker.inventory.importer import UnreadableFile, import_file
    from tracker.inventory.mapping import MapError, load_map

    for given, what in ((args.file, "an inventory file"), (args.map, "a mapping file")):
        if given and is_database(given):
            err(f"{one_line(given)} is the tracker database, not {what}; not read")
            return EXIT_USAGE
    if (args.dry_run or args.write_map) and not os.path.exists(ctx.db_path):
        from tracker import store

        db = store.open_db(":memory:")  # check the file against an empty database, make none
    else:
        db = ctx.db
    try:
        mapping = load_map(args.map, ctx.plan) if args.map else None
        result = import_file(
            db,
            ctx.plan,
            args.file,
            fmt=args.format,
            dry_run=args.dry_run,
            mapping=mapping,
            write_map=args.write_map,
        )
    except (UnreadableFile, MapError) as e:
        err(one_line(e, SHOWN_CHARS))
        return EXIT_USAGE
    if args.write_map and result.fmt:
        counts = ", ".join(f"{n} {table}" for table, n in result.map_values.items())
        src, dest = one_line(args.file), one_line(args.write_map)
        out(
            f"wrote {dest}: {counts} from {result.rows} row(s) of {src};"
            f" {result.map_unknown} to fill in. Nothing was imported."
        )
        if result.map_unknown:
            out(f'fill in the "" values, then: tracker import {src} --map {dest}')
        if result.map_other:
            out(
                f"{result.map_other} row(s) also have problems a mapping cannot fix;"
                " the import without --write-map lists them"
            )
        if result.ignored:
            out(one_line(f"ignored column(s): {', '.join(result.ignored)}"))
        for line in result.warnings:
            out(one_line(line, SHOWN_CHARS))
        return EXIT_OK
    for line in result.errors[:SHOWN_ERRORS]:
        print(one_line(line, SHOWN_CHARS), file=sys.stderr)
    if len(result.errors) > SHOWN_ERRORS:
        print(f"... and {len(result.errors) - SHOWN_ERRORS} more problem(s)", file=sys.stderr)
    if result.errors:
        # The hint and the map's unused lines explain problems; they are not counted as ones.
        for line in result.hints + result.warnings:
            print(one_line(line, SHOWN_CHARS), file=sys.stderr)
        err(f"{one_line(args.file)}: {len(result.errors)} problem(s); nothing was imported")
        return EXIT_USAGE
    for note in result.notes:
        err(one_line(note, SHOWN_CHARS))
    verb = "would import" if args.dry_run else "imported"
    skipped = f", {result.skipped} left out by the mapping" if result.skipped else ""
    out(
        f"{verb} {result.rows} row(s) from {one_line(args.file)}: {result.created} new, "
        f"{result.updated} updated{skipped}"
    )
    for line in result.remarks:
        out(one_line(line, SHOWN_CHARS))
    if result.ignored:
        out(one_line(f"ignored column(s): {', '.join(result.ignored)}"))
    for line in result.warnings:
        out(one_line(line, SHOWN_CHARS))
    return EXIT_LOOK if result.notes else EXIT_OK


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.inventory.exporter import export

    if args.file == "-":
        if sys.stdout.isatty():
            # Data on a terminal is shown, never obeyed: escapes and bidi overrides made visible.
            from tracker.textsafe import VisibleWriter

            n = export(ctx.db, ctx.plan, VisibleWriter(sys.stdout), args.format)
        else:
            n = export(ctx.db, ctx.plan, sys.stdout, args.format)
    else:
        from tracker.files import replaced_atomically

        with (
            replaced_atomically(args.file, "csv") as tmp,
            open(tmp, "w", encoding="utf-8", newline="") as f,
        ):
            n = export(ctx.db, ctx.plan, f, args.format)
        out(f"exported {n} asset(s) to {one_line(args.file)}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("import", help="import assets from CSV (all rows or none)")
    s.add_argument("file")
    s.add_argument("--format", choices=("auto", "tracker", "snipeit"), default="auto")
    s.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    s.add_argument(
        "--map", metavar="MAP.toml", help="map the file's categories, locations and statuses"
    )
    s.add_argument(
        "--write-map",
        metavar="MAP.toml",
        help="write a mapping template for the file's values and import nothing",
    )
    s.set_defaults(handler=cmd_import, seed=False, creates_db=True)

    s = sub.add_parser("export", help="export assets to CSV (FILE or - for stdout)")
    s.add_argument("file")
    s.add_argument("--format", choices=("tracker", "snipeit"), default="tracker")
    s.set_defaults(handler=cmd_export)
