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


def build_parser() -> argparse.ArgumentParser:
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

    for name in EXTENSIONS:
        __import__(name, fromlist=["register"]).register(sub)
    return p


# Each command family's module adds its parsers with `register(sub)`, in this order (the order of
# `tracker --help`), and imports its heavy dependencies inside the handlers, not at module level.
EXTENSIONS: tuple[str, ...] = (
    "tracker.cli.inventory",
    "tracker.cli.scenario",
    "tracker.cli.scanning",
    "tracker.cli.audit",
    "tracker.cli.marks",
    "tracker.cli.status",
    "tracker.cli.records",
    "tracker.cli.labels",
    "tracker.cli.kiosks",
    "tracker.cli.network",
    "tracker.cli.report",
    "tracker.cli.continuity",
)


def main(argv: list[str] | None = None) -> int:
    import sqlite3

    from tracker import faults
    from tracker.files import OutputError
    from tracker.plan import PlanError
    from tracker.store import StoreError, default_db_path
    from tracker.textsafe import one_line

    args = build_parser().parse_args(argv)
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
