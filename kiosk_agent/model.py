"""Statuses, check results and the verdict rule shared by every check and output."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Status(enum.Enum):
    """A check's status; the value is the monitoring-plugins exit code."""

    OK = 0
    WARN = 1
    CRIT = 2
    UNKNOWN = 3

    @property
    def label(self) -> str:
        """Lower-case name used in JSON and metrics (``ok``, ``warn``...)."""
        return self.name.lower()


# Monitoring-plugins order: a crit outranks a warn, and a warn outranks an unknown,
# so a known problem is never hidden behind a probe that could not decide.
_SEVERITY = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.CRIT: 3}

INTERNET = "internet"
ISOLATION = "isolation"
HEALTH = "health"
STAFF = "staff"
"""The staff profile's own checks: the VPN adapter and the internal targets through it."""
CATEGORIES = (INTERNET, ISOLATION, STAFF, HEALTH)


@dataclass
class CheckResult:
    """What one check saw, in words a technician can act on."""

    name: str
    category: str
    status: Status
    detail: str
    duration_ms: int = 0
    blocked: bool = False
    """True when ``ok`` rests on "nothing answered": only valid if the preconditions hold."""

    def as_dict(self) -> dict[str, object]:
        """The JSON shape the tracker's fleet code parses."""
        return {
            "name": self.name,
            "category": self.category,
            "status": self.status.label,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }


def worst(statuses: Iterable[Status]) -> Status:
    """Overall verdict: the worst status; ``unknown`` when nothing was judged (fail closed)."""
    return max(statuses, key=_SEVERITY.__getitem__, default=Status.UNKNOWN)


@dataclass
class Finding:
    """A check's status and evidence, before the runner adds name and timing."""

    status: Status
    detail: str
    blocked: bool = False
    """``ok`` only because nothing answered: demoted when the preconditions fail."""
