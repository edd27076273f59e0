"""Shapes shared by the per-OS modules, and the choice of module for this PC."""

from __future__ import annotations

import ipaddress
import re
import sys
from dataclasses import dataclass
from types import ModuleType

from kiosk_agent.config import IPNetwork


@dataclass(frozen=True)
class Route:
    """One routing-table entry: where it leads and through which interface."""

    network: IPNetwork
    gateway: str
    interface: str
    table: str = ""
    """A policy-routing table other than the main one (Linux), "" for the main table."""

    def __str__(self) -> str:
        via = f" via {self.gateway}" if self.gateway else ""
        table = f" table {self.table}" if self.table else ""
        return f"{self.network}{via} dev {self.interface}{table}"


@dataclass(frozen=True)
class ProxySetting:
    """A proxy, PAC or WPAD setting and where it was found."""

    source: str
    kind: str
    """``proxy``, ``pac`` or ``wpad``."""
    value: str


# Linux interface names of tunnels and VPN clients: OpenVPN tun/tap, WireGuard wg,
# PPP/L2TP/PPTP, strongSwan/libreswan ipsec/vti/xfrm, GRE/SIT, Cisco AnyConnect cscotun,
# GlobalProtect gpd, Fortinet/openfortivpn (ppp), ZeroTier zt, Tailscale, NordLynx.
VPN_NAME = re.compile(
    r"^(tun|tap|wg|ppp|ipsec|vti|ip6tnl|ip_vti|xfrm|gre|gretap|sit|l2tp|cscotun|gpd|zt|"
    r"tailscale|nordlynx|nordtun|proton|mullvad|utun|vpn)",
    re.IGNORECASE,
)
# Windows adapter descriptions of TAP/Wintun drivers and the common vendor clients.
VPN_DESCRIPTION = re.compile(
    r"TAP-Windows|TAP-Win32|Wintun|WireGuard|OpenVPN|AnyConnect|Cisco Systems VPN|"
    r"PANGP|GlobalProtect|Fortinet|FortiClient|Juniper|Pulse Secure|Ivanti|Check Point|"
    r"Zscaler|SonicWall|NetExtender|Tailscale|ZeroTier|NordLynx|ProtonVPN|WAN Miniport \((?:"
    r"PPTP|L2TP|IKEv2|SSTP)\)|Hamachi|Forcepoint|Sophos",
    re.IGNORECASE,
)
# Windows always has these WAN Miniports installed; they only matter when they are up.
ALWAYS_PRESENT = re.compile(r"WAN Miniport", re.IGNORECASE)


def network_of(address: str, prefix: int) -> IPNetwork:
    """The network containing ``address``/``prefix`` (host bits dropped)."""
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False)


def current() -> ModuleType:
    """The module with this OS's routing-table, proxy and adapter readers."""
    if sys.platform == "win32":
        from kiosk_agent import os_windows

        return os_windows
    from kiosk_agent import os_linux

    return os_linux


class PsutilMissing(Exception):
    """psutil is not installed: the check cannot look, so its status is ``unknown``."""


def require_psutil() -> ModuleType:
    """Import psutil lazily, so every check without it still runs when it is missing."""
    try:
        import psutil
    except ImportError as exc:
        raise PsutilMissing(f"psutil is not installed ({exc}), so this cannot be seen") from None
    return psutil
