"""The `tracker` command: the parser, and the dispatch to one module per command family.

Subcommands import what they use, so `scan`, `status` and `import` start without loading
Textual, paramiko or Pillow. Every subcommand calls the same domain functions the terminal app
calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tracker.cli.app import cmd_app
from tracker.cli.common import EXIT_NOT_RECORDED, EXIT_OK, EXIT_USAGE, Context, err

Handler = Callable[[Context, argparse.Namespace], int]


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments it is for, with only the family of the command they
    name (`EXTENSIONS`), else with every family."""
    from tracker import __version__

    p = argparse.ArgumentParser(
        prog="tracker",
        description="Asset and relocation tracker for the contingency plan. "
        "Without a command, opens the terminal app.",
    )
    p.add_argument("--version", action="version", version=f"tracker {__version__}")
    p.add_argument("--db", default=None, help="SQLite file (default: $TRACKER_DB or tracker.db)")
    p.add_argument("--plan", default=None, help="plan TOML file (default: the packaged plan)")
    p.set_defaults(handler=cmd_app)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    command = None if argv is None else _command(argv)
    families = [name for name, names in EXTENSIONS.items() if command in names]
    for name in families or EXTENSIONS:
        __import__(name, fromlist=["register"]).register(sub)
    return p


# Each command family's module adds its parsers with `register(sub)`, in this order (the order of
# `tracker --help`), and imports its heavy dependencies inside the handlers, not at module level.
# With the commands each adds, so that running one loads its family alone: all of them (their
# imports, 30 parsers) took ~10 ms of every `tracker scan`. A test checks the names.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "tracker.cli.inventory": ("import", "export"),
    "tracker.cli.scenario": ("scenario",),
    "tracker.cli.scanning": ("scan", "count", "undo"),
    "tracker.cli.audit": ("audit",),
    "tracker.cli.marks": ("mark", "notes"),
    "tracker.cli.status": ("status",),
    "tracker.cli.records": ("history", "unknown"),
    "tracker.cli.labels": ("labels",),
    "tracker.cli.kiosks": ("kiosks",),
    "tracker.cli.network": ("network",),
    "tracker.cli.report": ("report",),
    "tracker.cli.continuity": ("sync", "replicate", "restore"),
}


def _command(argv: list[str]) -> str | None:
    """The command `argv` names: its first word that is neither an option nor --db's or --plan's
    value (also under an abbreviation argparse accepts, such as --pl)."""
    args = iter(argv)
    for arg in args:
        if arg == "--" or arg == "-h" or (len(arg) > 2 and "--help".startswith(arg)):
            return None  # the top-level help lists every command; `--` is rare
        if not arg.startswith("-"):
            return arg
        if len(arg) > 2 and ("--db".startswith(arg) or "--plan".startswith(arg)):
            next(args, None)
    return None


def main(argv: list[str] | None = None) -> int:
    import sqlite3

    from tracker import faults
    from tracker.files import OutputError
    from tracker.plan import PlanError
    from tracker.store import StoreError, default_db_path
    from tracker.textsafe import one_line

    if argv is None:
        argv = sys.argv[1:]
    args = build_parser(argv).parse_args(argv)
    ctx = Context(
        args.db or default_db_path(),
        args.plan,
        seed=getattr(args, "seed", True),
        create=getattr(args, "creates_db", False),
    )
    try:
        ctx.plan  # noqa: B018 - a broken plan fails every command, so fail first and clearly
        return args.handler(ctx, args)
    except (PlanError, StoreError, OutputError) as e:
        err(one_line(e, 400))
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK
    except (sqlite3.Error, OSError) as e:
        # A full disk, a read-only or immutable database, a damaged file: the transaction was
        # rolled back, so nothing of this command was recorded.
        err(one_line(faults.describe(e, ctx.db_path), 400) + "; nothing was recorded")
        return EXIT_NOT_RECORDED
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())
