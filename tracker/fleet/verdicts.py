"""Judging what a kiosk sent back: a valid agent report, or `invalid` with the text cleaned.

Everything here treats the kiosk's bytes as hostile: escape sequences are removed, other
controls made visible, lengths bounded, before anything is stored or shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tracker.textsafe import one_line

AGENT_VERDICTS = ("ok", "warn", "crit", "unknown")
DETAIL_LIMIT = 400

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks, clipboard
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b.?|\x9b[0-?]*[ -/]*[@-~]"  # the rest, and 8-bit CSI
)


def clean(text: object, limit: int = DETAIL_LIMIT) -> str:
    """Remote text fit to store and show: escape sequences removed, other controls made visible,
    one line, at most `limit` characters."""
    return one_line(_ESCAPES.sub("", str(text)), limit)


def _report_problem(doc: Any) -> str:
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("verdict") not in AGENT_VERDICTS:
        return (
            f"verdict {clean(doc.get('verdict'), 40)!r} is not one of {', '.join(AGENT_VERDICTS)}"
        )
    # A staff-profile report proves the opposite of isolation (the VPN reaches the municipal
    # network): from a kiosk it must never count. A report without a profile is an older agent.
    profile = doc.get("profile", "kiosk")
    if profile != "kiosk":
        return (
            f"a {clean(profile, 20)!r} profile report; a kiosk must run the kiosk profile "
            "(`profile` in its kiosk-agent.toml)"
        )
    checks = doc.get("checks")
    if not isinstance(checks, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("status"), str)
        for c in checks
    ):
        return "checks is not a list of {name, status, ...}"
    return ""


def summary(doc: dict[str, Any]) -> str:
    """One line: the checks that did not pass, worst first, or how many passed."""
    order = {"crit": 0, "unknown": 1, "warn": 2}
    bad = sorted(
        (c for c in doc["checks"] if c.get("status") != "ok"),
        key=lambda c: order.get(c.get("status"), 3),
    )
    if not bad:
        # The version is the kiosk's text like any other: cleaned and bounded.
        return clean(f"{len(doc['checks'])} checks ok (agent {doc.get('agent_version', '?')})")
    return clean(
        "; ".join(f"{c['status']} {c['name']}: {c.get('detail', '')}" for c in bad), DETAIL_LIMIT
    )


def interpret(out: Any, cap: int) -> tuple[str, str, dict[str, Any] | None]:
    """(verdict, detail, report) from the agent's output; anything but a report is `invalid`."""
    preview = clean(out.stdout.decode("utf-8", "replace"), 200)
    if out.overflow:
        return "invalid", f"invalid report: more than {cap} bytes of output: {preview}", None
    problem = ""
    try:
        doc = json.loads(out.stdout.decode("utf-8"))
    except ValueError:
        problem, doc = "not JSON", None
    problem = problem or _report_problem(doc)
    if problem:
        why = f"invalid report ({problem}), exit status {out.exit_status}"
        shown = preview or f"no output; stderr: {clean(out.stderr.decode('utf-8', 'replace'), 200)}"
        return "invalid", f"{why}: {shown}", None
    return doc["verdict"], summary(doc), doc
