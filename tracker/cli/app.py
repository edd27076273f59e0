"""Opening the terminal app from the command line; Textual loads only here."""

from __future__ import annotations

import argparse

from tracker.cli.common import Context


def cmd_app(ctx: Context, args: argparse.Namespace) -> int:
    return run_app_for(ctx)


def run_app_for(ctx: Context, scan_site: str | None = None, scan_step: str | None = None) -> int:
    from tracker.ui.app import run_app  # Textual loads only for the app

    ctx.create = True  # the app is where a new database (with the sample inventory) is made
    return run_app(ctx, scan_site=scan_site, scan_step=scan_step)
