"""`tracker import` and `tracker export`: the inventory as CSV, in and out."""

from __future__ import annotations

import argparse
import sys

from tracker.cli.common import EXIT_FAIL, EXIT_OK, Context, err, out
from tracker.textsafe import one_line


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.inventory.importer import UnreadableFile, import_file

    try:
        result = import_file(ctx.db, ctx.plan, args.file, fmt=args.format, dry_run=args.dry_run)
    except UnreadableFile as e:
        err(str(e))
        return EXIT_FAIL
    for line in result.errors:
        print(one_line(line), file=sys.stderr)
    if result.errors:
        err(f"{args.file}: {len(result.errors)} bad row(s); nothing was imported")
        return EXIT_FAIL
    verb = "would import" if args.dry_run else "imported"
    out(
        f"{verb} {result.rows} row(s) from {args.file}: {result.created} new, "
        f"{result.updated} updated"
    )
    return EXIT_OK


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.inventory.exporter import export

    if args.file == "-":
        n = export(ctx.db, ctx.plan, sys.stdout, args.format)
    else:
        from tracker.files import replaced_atomically

        with (
            replaced_atomically(args.file) as tmp,
            open(tmp, "w", encoding="utf-8", newline="") as f,
        ):
            n = export(ctx.db, ctx.plan, f, args.format)
        out(f"exported {n} asset(s) to {args.file}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("import", help="import assets from CSV (all rows or none)")
    s.add_argument("file")
    s.add_argument("--format", choices=("auto", "tracker", "snipeit"), default="auto")
    s.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    s.set_defaults(handler=cmd_import, seed=False)

    s = sub.add_parser("export", help="export assets to CSV (FILE or - for stdout)")
    s.add_argument("file")
    s.add_argument("--format", choices=("tracker", "snipeit"), default="tracker")
    s.set_defaults(handler=cmd_export)
