"""Command line: ``kiosk-agent check`` and ``kiosk-agent sample-config``.

Exit status in every mode follows the monitoring plugins: 0 ok, 1 warn, 2 crit, 3 unknown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import time
from datetime import UTC, datetime
from importlib import resources
from typing import NoReturn

from kiosk_agent import __version__
from kiosk_agent.config import PROFILES, ConfigError, default_config_path, load_config
from kiosk_agent.model import HEALTH, CheckResult, Status, worst
from kiosk_agent.outputs import render_json, render_nagios, render_prom, render_text, write_atomic
from kiosk_agent.runner import Report, run_checks


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests can inspect it)."""
    parser = _Parser(
        prog="kiosk-agent",
        description="Check that this PC reaches the internet and not the municipal network.",
    )
    parser.add_argument("--version", action="version", version=f"kiosk-agent {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run every check and report")
    check.add_argument("--config", default=str(default_config_path()), help="TOML file")
    mode = check.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="JSON document on stdout")
    mode.add_argument("--nagios", action="store_true", help="one Nagios plugin line")
    check.add_argument("--out", help="also write the JSON document to this file (atomically)")
    check.add_argument("--prom", help="write node_exporter textfile metrics (atomically)")
    check.add_argument(
        "--profile",
        choices=PROFILES,
        help="kiosk: prove isolation (default); staff: prove the VPN reaches the internal "
        "targets (overrides `profile` in the config)",
    )
    sub.add_parser("sample-config", help="print the documented sample configuration")
    return parser


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 3 (unknown), not argparse's 2, which a monitor reads as crit."""

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._print_message(message, sys.stderr)
        sys.exit(Status.UNKNOWN.value if status else 0)


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "sample-config":
        sys.stdout.write(resources.files("kiosk_agent").joinpath("sample-config.toml").read_text())
        return 0
    try:
        cfg = load_config(args.config)
    except (ConfigError, ValueError, OverflowError) as exc:
        # ValueError/OverflowError: a value no check foresaw; still one line and UNKNOWN (3).
        print(f"kiosk-agent: bad configuration: {exc}", file=sys.stderr)
        # Still emit a well-formed document, so the fleet view shows why this PC is unknown.
        return _emit(_failed("config", f"bad config: {exc}", args.profile), args)
    if args.profile:
        cfg.profile = args.profile
    try:
        report = run_checks(cfg)
    except Exception as exc:  # noqa: BLE001 - the agent always reports; Python would exit 1
        print(f"kiosk-agent: internal error: {exc!r}", file=sys.stderr)
        report = _failed("agent", f"internal error: {type(exc).__name__}: {exc}", cfg.profile)
    return _emit(report, args)


def _failed(name: str, detail: str, profile: str | None = None) -> Report:
    """A report with one ``unknown`` check, for runs that could not check anything."""
    report = Report(_hostname(), _now_iso(), 0, profile=profile or "kiosk")
    report.checks.append(CheckResult(name, HEALTH, Status.UNKNOWN, detail))
    return report


def _hostname() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return "unknown-host"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _emit(report: Report, args: argparse.Namespace) -> int:
    """Print in the chosen mode, write the files, and map the verdict to the exit code."""
    if args.json:
        text = render_json(report)
    elif args.nagios:
        text = render_nagios(report)
    else:
        text = render_text(report)
    _print(text)
    try:
        if args.out:
            write_atomic(args.out, render_json(report))
        if args.prom:
            write_atomic(args.prom, render_prom(report, time.time()))
    except OSError as exc:
        print(f"kiosk-agent: cannot write output: {exc}", file=sys.stderr)
        # A known problem outranks the unknown (monitoring-plugins order).
        return worst([report.verdict, Status.UNKNOWN]).value
    return report.verdict.value


def _print(text: str) -> None:
    """Write to stdout whatever its encoding (a cp1252 console, PYTHONIOENCODING=ascii):
    a name with an ``ø`` must not crash the agent before it writes --out and --prom."""
    # Under pythonw.exe (the Windows task) there is no console and sys.stdout is None.
    if sys.stdout is None:
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
    except OSError as exc:  # a closed pipe: the files and the exit code still matter
        print(f"kiosk-agent: cannot write to stdout: {exc}", file=sys.stderr)
        # Python would flush the broken stdout again at exit and turn the status into 120.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
