"""What the app asks of the terminal, shared by the app and its screens (so no screen needs to
import the app module back)."""

from __future__ import annotations

MIN_SIZE = (80, 24)
"""Columns and rows below which the app covers the screen and takes no scans."""
