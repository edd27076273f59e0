"""The `tracker` command. Subcommands import what they use, so `scan`, `status` and `import`
start without loading Textual, paramiko or Pillow.

Every subcommand calls the same domain functions the terminal app calls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from tracker.textsafe import one_line

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class Context:
    """What every subcommand needs: the plan and the database, opened on first use."""

    def __init__(self, db_path: str, plan_path: str | None, seed: bool = True) -> None:
        self.db_path = db_path
        self.plan_path = plan_path
        self.seed = seed
        self._plan: Any = None
        self._db: Any = None

    @property
    def plan(self) -> Any:
        if self._plan is None:
            from tracker.plan import load_plan

            self._plan = load_plan(self.plan_path)
        return self._plan

    @property
    def db(self) -> Any:
        if self._db is None:
            from tracker import seed, store

            fresh = self.db_path == ":memory:" or not os.path.exists(self.db_path)
            self._db = store.open_db(self.db_path)
            if fresh and self.seed:
                seeded = seed.seed_if_empty(self._db, self.plan)
                if seeded:
                    print(f"tracker: new database {self.db_path}, {seeded}", file=sys.stderr)
        return self._db


def out(text: str = "") -> None:
    print(text)


def err(text: str) -> None:
    print(f"tracker: {text}", file=sys.stderr)


# --- subcommands ------------------------------------------------------------------------------


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.importer import UnreadableFile, import_file

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
    from tracker.exporter import export

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


def cmd_scenario(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import moves

    plan = ctx.plan
    if args.action == "list":
        current = moves.current_move(ctx.db)
        for sc in plan.scenarios.values():
            mark = ""
            if current and current.scenario == sc.id:
                mark = f"  [{current.status} since {current.started_at}]"
            out(f"{sc.id:<26} {one_line(sc.name)}{mark}")
        return EXIT_OK
    if args.action == "start":
        if not args.id:
            err("scenario start needs a scenario id (see `tracker scenario list`)")
            return EXIT_USAGE
        try:
            move = moves.start(ctx.db, plan, args.id, operator=_operator(args))
        except moves.MoveError as e:
            err(str(e))
            return EXIT_FAIL
        items = moves.manifest(ctx.db, move)
        out(f"started {move.scenario}: {len(items)} item(s) to move")
        _print_manifest(plan, items)
        return EXIT_OK
    if args.action == "end":
        try:
            move = moves.end(ctx.db, operator=_operator(args))
        except moves.MoveError as e:
            err(str(e))
            return EXIT_FAIL
        items = moves.manifest(ctx.db, move)
        out(f"ended {move.scenario}: {len(items)} item(s) to bring home ({move.status})")
        _print_manifest(plan, items)
        return EXIT_OK
    # show
    move = moves.current_move(ctx.db)
    if move is None:
        out("no scenario is active")
        return EXIT_OK
    items = moves.manifest(ctx.db, move)
    out(f"{move.scenario} ({move.status} since {move.started_at})")
    out("  " + ", ".join(f"{k}: {v}" for k, v in moves.progress(items).items()))
    _print_manifest(plan, items)
    return EXIT_OK


def _print_manifest(plan: Any, items: list) -> None:
    for it in items:
        dest = plan.sites[it.dest].name if it.dest in plan.sites else it.dest
        tag = it.tag or "(none free)"
        out(
            f"  {it.state:<10} {one_line(tag):<14} {it.kind:<10} -> {one_line(dest)}"
            f"  {one_line(it.name or '')}"
        )


def _operator(args: argparse.Namespace) -> str:
    from tracker.scan import default_operator

    return args.operator if getattr(args, "operator", None) else default_operator()


def cmd_scan(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import scan

    if args.code is None:
        return _run_app(ctx, scan_site=args.site, scan_step=args.step)
    try:
        result = scan.scan(
            ctx.db,
            ctx.plan,
            args.code,
            site=args.site,
            step=args.step,
            operator=args.operator,
            station=args.station,
        )
    except scan.ScanError as e:
        err(str(e))
        return EXIT_USAGE
    if result.outcome in ("unknown", "empty"):
        err(one_line(result.message))
        return EXIT_FAIL
    out(one_line(result.message))
    return EXIT_OK


def cmd_undo(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import scan

    result = scan.undo_last(ctx.db, ctx.plan, station=args.station, operator=args.operator)
    if result.outcome != "recorded":
        err(one_line(result.message))
        return EXIT_FAIL
    out(one_line(result.message))
    return EXIT_OK


def cmd_status(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import readiness

    state = readiness.compute(ctx.db, ctx.plan, all_sites=args.all)
    if args.json:
        json.dump(state.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        out()
        return EXIT_OK
    out(format_status(state, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    return EXIT_OK


_COLORS = {"ready": "\x1b[32m", "degraded": "\x1b[33m", "not_ready": "\x1b[31m"}


def format_status(state: Any, color: bool = False) -> str:
    """The readiness table as plain text, one line per function."""
    from tracker.readiness import STATE_LABELS

    scenario = state.scenario.name if state.scenario else "normal operation"
    lines = [f"Readiness - {one_line(scenario)}"]
    for site in state.sites:
        lines.append("")
        lines.append(one_line(site.name))
        if not site.functions:
            lines.append("  (no critical functions here)")
        for f in site.functions:
            label = f"{STATE_LABELS[f.state]:<10}"
            if color:
                label = f"{_COLORS[f.state]}{label}\x1b[0m"
            lines.append(f"  {label} {f.have}/{f.min}/{f.target:<3} {one_line(f.name)}")
    lines.append("")
    lines.append("have/min/target: assets installed or in service at the site")
    return "\n".join(lines)


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import store

    asset = store.find_asset(ctx.db, args.tag)
    if asset is None:
        err(f"no asset with tag {one_line(args.tag)!r}")
        return EXIT_FAIL
    events = store.history(ctx.db, asset.tag)
    if args.json:
        json.dump(events, sys.stdout, ensure_ascii=False, indent=2)
        out()
        return EXIT_OK
    out(
        f"{one_line(asset.tag)} {one_line(asset.name)} ({asset.kind}): {asset.step} at "
        f"{asset.site}, home {asset.home_site}"
    )
    for e in events:
        undone = " (undone)" if e["undone_by"] else ""
        flag = f" [{e['flag']}]" if e["flag"] else ""
        out(
            f"  {e['at']}  {e['action']:<6} {e['step']:<10} {e['site']:<15} "
            f"{one_line(e['operator'])}@{one_line(e['station'])}{flag}{undone}"
        )
    return EXIT_OK


def cmd_unknown(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import store

    rows = store.unknown_scans(ctx.db, limit=args.limit)
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        out()
        return EXIT_OK
    if not rows:
        out("no unknown scans")
    for r in rows:
        out(
            f"{r['at']}  {one_line(r['code'])!r:<24} at {r['site']} ({r['step']}) "
            f"{one_line(r['operator'])}@{one_line(r['station'])}"
        )
    return EXIT_OK


def cmd_app(ctx: Context, args: argparse.Namespace) -> int:
    return _run_app(ctx)


def _run_app(ctx: Context, scan_site: str | None = None, scan_step: str | None = None) -> int:
    from tracker.ui.app import run_app  # Textual loads only for the app

    return run_app(ctx, scan_site=scan_site, scan_step=scan_step)


# --- parser -----------------------------------------------------------------------------------

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

    s = sub.add_parser("import", help="import assets from CSV (all rows or none)")
    s.add_argument("file")
    s.add_argument("--format", choices=("auto", "tracker", "snipeit"), default="auto")
    s.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    s.set_defaults(handler=cmd_import, seed=False)

    s = sub.add_parser("export", help="export assets to CSV (FILE or - for stdout)")
    s.add_argument("file")
    s.add_argument("--format", choices=("tracker", "snipeit"), default="tracker")
    s.set_defaults(handler=cmd_export)

    s = sub.add_parser("scenario", help="list, start, end or show scenarios")
    s.add_argument("action", choices=("list", "start", "end", "show"))
    s.add_argument("id", nargs="?")
    s.add_argument("--operator", default=None)
    s.set_defaults(handler=cmd_scenario)

    from tracker.scan import SCAN_STEPS

    s = sub.add_parser("scan", help="record a scan (without CODE: open the scan screen)")
    s.add_argument("code", nargs="?", help="what the label carries (or the tag)")
    s.add_argument("--site", required=True)
    s.add_argument("--step", required=True, choices=SCAN_STEPS)
    s.add_argument("--operator", default=None, help="default: $TRACKER_OPERATOR or login name")
    s.add_argument("--station", default=None, help="default: $TRACKER_STATION or host name")
    s.set_defaults(handler=cmd_scan)

    s = sub.add_parser("undo", help="undo this station's latest scan")
    s.add_argument("--operator", default=None)
    s.add_argument("--station", default=None)
    s.set_defaults(handler=cmd_undo)

    s = sub.add_parser("status", help="readiness per site and function")
    s.add_argument("--json", action="store_true")
    s.add_argument("--all", action="store_true", help="also sites without functions")
    s.set_defaults(handler=cmd_status)

    s = sub.add_parser("history", help="an asset's events, oldest first")
    s.add_argument("tag")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_history)

    s = sub.add_parser("unknown", help="the log of scanned codes that matched nothing")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=int, default=100)
    s.set_defaults(handler=cmd_unknown)

    for name in EXTENSIONS:
        __import__(name, fromlist=["register"]).register(sub)
    return p


# Subcommands that live with their feature; each module's `register(sub)` adds its parsers
# and must import its heavy dependencies inside the handlers, not at module level.
EXTENSIONS: tuple[str, ...] = ("tracker.cli_labels", "tracker.cli_kiosks", "tracker.cli_report")


def main(argv: list[str] | None = None) -> int:
    from tracker.plan import PlanError
    from tracker.store import StoreError, default_db_path

    args = build_parser().parse_args(argv)
    ctx = Context(args.db or default_db_path(), args.plan, seed=getattr(args, "seed", True))
    try:
        ctx.plan  # noqa: B018 - a broken plan fails every command, so fail first and clearly
        return args.handler(ctx, args)
    except (PlanError, StoreError) as e:
        err(str(e))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
