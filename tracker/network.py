"""Staff network checks per site: can staff at this site reach the municipal systems?

The plan needs "Internetadgang, så medarbejderne kan logge på computeren og via vpn logge på
kommunens netværk" at a relocated Borgerservice. A staff laptop at the site runs the kiosk
agent with the staff profile (``tracker network check``) or brings its report file
(``tracker network record``); the report is kept per site. A function the plan marks
``municipal_network`` counts at a site off the municipal LAN only while the site's latest
staff check passed within ``[network_checks] interval_minutes``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.database import Database
from tracker.plan import Function, Plan
from tracker.textsafe import one_line
from tracker.timefmt import local_time

OK, STALE, FAILED, MISSING = "ok", "stale", "failed", "missing"
NOT_NEEDED = "not_needed"
STATE_WORDS = {
    OK: "staff network ok",
    STALE: "staff network check too old",
    FAILED: "staff network check failed",
    MISSING: "no staff network check",
    NOT_NEEDED: "on the municipal network",
}
_VERDICTS = ("ok", "warn", "crit", "unknown")
_SEVERITY = {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}  # the agent's verdict order
MAX_REPORT_BYTES = 256 * 1024
"""As for the kiosks' reports over SSH (tracker/fleet/ssh.py): a real one is a few KiB."""
TOO_LARGE = f"larger than a kiosk-agent report can be ({MAX_REPORT_BYTES // 1024} KiB)"
_NOT_A_CHECK = ("config", "agent")
"""A report holding only one of these says the agent could not run, not how the network is."""
_HOST = re.compile(r"\w[\w.-]{0,252}")
"""What ``socket.gethostname()`` gives on Linux and Windows; never a control character."""


class ReportError(ValueError):
    """A report that cannot be recorded as a staff network check; the message says why."""


@dataclass(frozen=True)
class SiteNetwork:
    """The staff network at one site, as readiness and the outputs need it."""

    site: str
    state: str
    verdict: str = ""
    checked_at: str = ""
    host: str = ""
    detail: str = ""

    def words(self) -> str:
        """One line a coordinator understands, e.g. for the `blocking` list."""
        text = STATE_WORDS[self.state]
        if self.checked_at:
            text += f" ({self.verdict} at {local_time(self.checked_at, '%Y-%m-%d %H:%M')}"
            text += f" from {self.host})" if self.host else ")"
        if self.state == FAILED and self.detail:
            text += f": {self.detail}"
        return text

    def as_json(self) -> dict[str, str]:
        return {
            "state": self.state,
            "verdict": self.verdict,
            "checked_at": self.checked_at,
            "host": self.host,
            "detail": self.detail,
        }


def parse_report(text: str, source: str) -> dict[str, Any]:
    """The agent's JSON document, checked to be a staff-profile report whose verdict its
    own checks support: a hand-edited or truncated file must not open a site."""
    if len(text.encode("utf-8", "replace")) > MAX_REPORT_BYTES:
        raise ReportError(f"{source}: {TOO_LARGE}")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"{source}: not a kiosk-agent JSON report ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list):
        raise ReportError(f"{source}: not a kiosk-agent JSON report (no checks list)")
    checks = doc["checks"]
    for i, check in enumerate(checks):
        _check_entry(check, f"{source}: checks[{i}]")
    if len(checks) == 1 and checks[0]["name"] in _NOT_A_CHECK:
        raise ReportError(
            f"{source}: the agent did not check the network: {one_line(checks[0]['detail'], 300)}"
        )
    profile = doc.get("profile", "kiosk")
    if profile != "staff":
        raise ReportError(
            f"{source}: a {one_line(repr(profile), 40)} profile report; a staff network check is "
            "`kiosk-agent check --profile staff --json`"
        )
    if not any(c["name"] == "vpn" for c in checks):
        raise ReportError(f"{source}: no `vpn` check, so not a staff-profile report of the agent")
    verdict = doc.get("verdict")
    if verdict not in _VERDICTS:
        raise ReportError(f"{source}: verdict must be one of {list(_VERDICTS)}")
    worst = max((c["status"] for c in checks), key=_SEVERITY.__getitem__)
    if verdict != worst:
        raise ReportError(
            f"{source}: verdict {verdict!r} does not match its checks (the worst is {worst!r}): "
            "edited or damaged"
        )
    started = doc.get("started_at")
    try:
        when = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(
            f"{source}: started_at is not a time: {one_line(repr(started), 60)}"
        ) from None
    if when.tzinfo is None:
        raise ReportError(f"{source}: started_at has no time zone: {started!r}")
    if when > datetime.now(UTC) + timedelta(minutes=5):
        raise ReportError(f"{source}: started_at {started} is in the future (laptop clock?)")
    host = doc.get("host")
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise ReportError(
            f"{source}: host must be the laptop's host name (letters, digits, '.', '-', '_', "
            f"at most 253), got {one_line(repr(host), 60)}"
        )
    return doc


def _check_entry(check: Any, where: str) -> None:
    """One entry of ``checks``: the strings the agent writes, a status it knows."""
    if not isinstance(check, dict):
        raise ReportError(f"{where}: must be an object, got {type(check).__name__}")
    for key in ("name", "status", "detail"):
        if not isinstance(check.get(key), str):
            raise ReportError(f"{where}.{key}: must be a string")
    if check["status"] not in _VERDICTS:
        raise ReportError(
            f"{where}.status: must be one of {list(_VERDICTS)}, got "
            + one_line(repr(check["status"]), 40)
        )


def summary(doc: dict[str, Any]) -> str:
    """The failing checks in one line (empty when all passed)."""
    bad = [c for c in doc["checks"] if isinstance(c, dict) and c.get("status") != "ok"]
    return "; ".join(f"{c.get('status')} {c.get('name')}: {c.get('detail')}" for c in bad)[:500]


def record(db: Database, plan: Plan, site: str, doc: dict[str, Any], source: str) -> SiteNetwork:
    """Store one staff network check for ``site``; returns what it now means there."""
    from tracker.store import now, write

    if site not in plan.sites:
        raise ReportError(f"unknown site {site!r}; sites: {', '.join(plan.sites)}")
    when = datetime.fromisoformat(doc["started_at"].replace("Z", "+00:00")).astimezone(UTC)
    checked_at = when.isoformat(timespec="milliseconds")
    with write(db):
        db.execute(
            "INSERT INTO network_checks (site, host, verdict, checked_at, recorded_at, source,"
            " detail, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [site, doc["host"], doc["verdict"], checked_at, now(), source, summary(doc),
             json.dumps(doc, ensure_ascii=False)],
        )  # fmt: skip
    return site_networks(db, plan)[site]


def site_networks(db: Database, plan: Plan, at: datetime | None = None) -> dict[str, SiteNetwork]:
    """Every site's staff network state, from its latest check (by the time it ran)."""
    at = at or datetime.now(UTC)
    fresh_since = (at - timedelta(minutes=plan.network_interval_minutes)).isoformat(
        timespec="milliseconds"
    )
    latest: dict[str, tuple] = {}
    for row in db.execute(
        "SELECT site, verdict, checked_at, host, detail FROM network_checks ORDER BY checked_at, id"
    ):
        latest[row[0]] = row
    result = {}
    for site in plan.sites.values():
        row = latest.get(site.id)
        if site.municipal_lan:
            result[site.id] = SiteNetwork(site.id, NOT_NEEDED)
        elif row is None:
            result[site.id] = SiteNetwork(site.id, MISSING)
        else:
            _site, verdict, checked_at, host, detail = row
            state = FAILED if verdict != "ok" else (OK if checked_at >= fresh_since else STALE)
            result[site.id] = SiteNetwork(site.id, state, verdict, checked_at, host, detail)
    return result


def gate(func: Function, net: SiteNetwork | None) -> str | None:
    """Why ``func`` cannot count at the site (a `blocking` line), or None when it can."""
    if not func.municipal_network or net is None or net.state in (OK, NOT_NEEDED):
        return None
    return f"{func.name}: {net.words()}"


def history(db: Database, site: str, limit: int = 20) -> list[dict[str, Any]]:
    cur = db.execute(
        "SELECT site, host, verdict, checked_at, recorded_at, source, detail FROM network_checks"
        " WHERE site = ? ORDER BY checked_at DESC, id DESC LIMIT ?",
        [site, limit],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
