"""Staff-profile reports as `kiosk-agent check --profile staff --json` writes them, for the
tracker-side tests (the agent itself is tested in the namespace lab)."""

from __future__ import annotations

from datetime import UTC, datetime


def staff_doc(verdict: str = "ok", at: datetime | None = None, host: str = "laptop-7") -> dict:
    when = (at or datetime.now(UTC)).astimezone(UTC)
    status = {"ok": "ok"}.get(verdict, verdict)
    return {
        "agent_version": "0.1.0",
        "profile": "staff",
        "host": host,
        "started_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_ms": 312,
        "verdict": verdict,
        "checks": [
            {"name": "vpn", "category": "staff", "status": status,
             "detail": "VPN adapter up: wg0" if verdict == "ok" else "VPN adapter down: wg0",
             "duration_ms": 1},
            {"name": "internal:10.20.0.10:445", "category": "staff", "status": "ok",
             "detail": "connected through wg0 (from 10.99.0.2)", "duration_ms": 3},
        ],
    }  # fmt: skip
