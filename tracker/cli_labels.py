"""The `tracker labels` subcommands (placeholder until the feature lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this feature's subcommands to the `tracker` parser."""
