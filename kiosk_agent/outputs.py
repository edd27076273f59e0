"""Render a report as text, JSON, a Nagios plugin line or node_exporter metrics, and write
files atomically so a reader (the tracker, node_exporter) never sees half a file."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from kiosk_agent.model import CATEGORIES, Status
from kiosk_agent.runner import Report

_NAGIOS = {
    Status.OK: "OK",
    Status.WARN: "WARNING",
    Status.CRIT: "CRITICAL",
    Status.UNKNOWN: "UNKNOWN",
}


_WHO = {"kiosk": "kiosk", "staff": "staff PC"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """Control characters made visible (``\\n``, ``\\x1b``): details quote what servers and
    files said, and a newline or an escape sequence must not break a line or a terminal."""

    def show(match: re.Match[str]) -> str:
        return repr(match.group())[1:-1]

    return _CONTROL.sub(show, text)


def render_text(report: Report) -> str:
    """For the technician at the PC: verdict first on every line, worst category first."""
    lines = [
        f"{report.verdict.name:<7} {_WHO.get(report.profile, 'kiosk')} {one_line(report.host)}: "
        f"{len(report.checks)} checks "
        f"in {report.duration_ms / 1000:.1f} s (agent {report.agent_version})"
    ]
    for category in CATEGORIES:
        for c in (c for c in report.checks if c.category == category):
            lines.append(
                f"{c.status.name:<7} {c.category:<9} {one_line(c.name)}: {one_line(c.detail)}"
            )
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """The document the tracker's fleet code parses (see ``Report.as_dict``)."""
    # ASCII-only: valid JSON on any console encoding (a cp1252 task log, PYTHONIOENCODING).
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=True) + "\n"


def render_nagios(report: Report) -> str:
    """One plugin line: state, the failing checks, then perfdata after ``|``."""
    counts = {s: sum(c.status is s for c in report.checks) for s in Status}
    bad = [c for c in report.checks if c.status is not Status.OK]
    bad.sort(key=lambda c: (c.status is not Status.CRIT, c.status is not Status.WARN))
    summary = "; ".join(f"{c.status.label} {c.name}: {c.detail}" for c in bad)
    summary = summary or f"all {len(report.checks)} checks ok"
    # "|" starts the perfdata and a line break ends the plugin output.
    summary = one_line(summary.replace("|", "/"))
    perf = (
        f"checks={len(report.checks)};;;0 ok={counts[Status.OK]};;;0 "
        f"warn={counts[Status.WARN]};;;0 crit={counts[Status.CRIT]};;;0 "
        f"unknown={counts[Status.UNKNOWN]};;;0 duration={report.duration_ms / 1000:.3f}s;;;0"
    )
    who = "STAFF" if report.profile == "staff" else "KIOSK"
    return f"{who} {_NAGIOS[report.verdict]} - {summary} | {perf}\n"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_prom(report: Report, now: float) -> str:
    """node_exporter textfile-collector format; status values are the exit codes."""
    out = [
        "# HELP kiosk_agent_check_status Check status: 0 ok, 1 warn, 2 crit, 3 unknown.",
        "# TYPE kiosk_agent_check_status gauge",
    ]
    for c in report.checks:
        labels = f'name="{_label(c.name)}",category="{c.category}"'
        out.append(f"kiosk_agent_check_status{{{labels}}} {c.status.value}")
    out += ["# HELP kiosk_agent_check_duration_seconds Time one check took.",
            "# TYPE kiosk_agent_check_duration_seconds gauge"]  # fmt: skip
    for c in report.checks:
        labels = f'name="{_label(c.name)}",category="{c.category}"'
        out.append(f"kiosk_agent_check_duration_seconds{{{labels}}} {c.duration_ms / 1000:.3f}")
    out += [
        "# HELP kiosk_agent_verdict Overall verdict: 0 ok, 1 warn, 2 crit, 3 unknown.",
        "# TYPE kiosk_agent_verdict gauge",
        f"kiosk_agent_verdict {report.verdict.value}",
        "# HELP kiosk_agent_run_duration_seconds Time the whole check took.",
        "# TYPE kiosk_agent_run_duration_seconds gauge",
        f"kiosk_agent_run_duration_seconds {report.duration_ms / 1000:.3f}",
        "# HELP kiosk_agent_last_run_timestamp_seconds When the check finished (Unix time).",
        "# TYPE kiosk_agent_last_run_timestamp_seconds gauge",
        f"kiosk_agent_last_run_timestamp_seconds {now:.0f}",
        "# HELP kiosk_agent_info Agent version.",
        "# TYPE kiosk_agent_info gauge",
        f'kiosk_agent_info{{version="{_label(report.agent_version)}",'
        f'profile="{_label(report.profile)}"}} 1',
    ]
    return "\n".join(out) + "\n"


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write to a temporary file in the same directory, then rename it over ``path``
    (rename within one file system is atomic on Linux and Windows)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private; node_exporter and the tracker read it as others.
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
