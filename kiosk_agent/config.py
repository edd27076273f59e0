"""Load and validate the agent's TOML configuration.

A typo must never silently disable a check, so unknown keys, wrong types and malformed
addresses are errors that name the file, the key and what is wrong.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The value types live in fields.py with their checks; they are imported from here.
from kiosk_agent.fields import (
    MAX_ENTRIES,
    CheckUrl,
    ConfigError,
    Endpoint,
    IPAddress,
    IPNetwork,
    UdpTarget,
    Validator,
)

__all__ = [
    "MAX_ENTRIES",
    "PROFILES",
    "CheckUrl",
    "Config",
    "ConfigError",
    "Endpoint",
    "IPAddress",
    "IPNetwork",
    "UdpTarget",
    "default_config_path",
    "load_config",
    "parse_config",
]

PROFILES = ("kiosk", "staff")


@dataclass
class Config:
    """The validated configuration; every list may be empty (its checks are skipped)."""

    path: str = "<defaults>"
    timeout: float = 2.5
    profile: str = "kiosk"
    """``kiosk`` proves isolation; ``staff`` proves the VPN reaches the internal targets."""
    check_urls: list[CheckUrl] = field(default_factory=list)
    resolve: list[str] = field(default_factory=list)
    https: list[str] = field(default_factory=list)
    ca_file: str = ""
    internal_cidrs: list[IPNetwork] = field(default_factory=list)
    targets: list[Endpoint] = field(default_factory=list)
    udp_targets: list[UdpTarget] = field(default_factory=list)
    snmp_community: str = "public"
    icmp_echo: bool = True
    internal_names: list[str] = field(default_factory=list)
    canaries: list[Endpoint] = field(default_factory=list)
    management_hosts: list[IPAddress] = field(default_factory=list)
    min_free_disk_mb: int = 2048
    disk_path: str = ""
    max_uptime_days: float = 0.0
    max_clock_skew_s: float = 120.0
    processes: list[str] = field(default_factory=list)
    vpn_adapters: list[str] = field(default_factory=list)

    def is_internal(self, address: str | IPAddress) -> bool:
        """True when ``address`` lies in one of the municipal ranges."""
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        except ValueError:
            return False
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        return any(ip in net for net in self.internal_cidrs)

    def internal_addresses(self) -> list[IPAddress]:
        """Each configured internal target address once, in order (the ICMP echo targets)."""
        seen: dict[str, IPAddress] = {}
        for item in [*self.targets, *self.udp_targets]:
            seen.setdefault(str(item.address), item.address)
        return list(seen.values())


def default_config_path() -> Path:
    """Where the scheduled task looks for its configuration on this OS."""
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "KioskAgent" / "config.toml"
    return Path("/etc/kiosk-agent/config.toml")


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` on any problem."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot read file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    return parse_config(raw, str(path))


def parse_config(raw: dict[str, Any], path: str = "<config>") -> Config:
    """Validate an already-parsed TOML document."""
    v = Validator(path)
    cfg = Config(path=path)
    sections = {"internet": dict, "isolation": dict, "health": dict, "staff": dict}
    v.no_unknown(raw, "", {"timeout", "profile", *sections})
    if "timeout" in raw:
        cfg.timeout = v.number(raw["timeout"], "timeout", low=0.1, high=30)
    cfg.profile = v.string(raw.get("profile", "kiosk"), "profile")
    if cfg.profile not in PROFILES:
        raise ConfigError(path, "profile", f"must be one of {list(PROFILES)}, got {cfg.profile!r}")
    for name in sections:
        if not isinstance(raw.get(name, {}), dict):
            raise ConfigError(path, name, "must be a table ([" + name + "])")
    net = raw.get("internet", {})
    v.no_unknown(net, "internet.", {"check_urls", "resolve", "https", "ca_file"})
    cfg.check_urls = [
        v.check_url(item, f"internet.check_urls[{i}]")
        for i, item in enumerate(v.array(net, "internet.check_urls"))
    ]
    cfg.resolve = v.names(net, "internet.resolve", host=True)
    cfg.https = [
        v.url(item, f"internet.https[{i}]", ("https",))
        for i, item in enumerate(v.array(net, "internet.https"))
    ]
    cfg.ca_file = v.string(net.get("ca_file", ""), "internet.ca_file")
    iso = raw.get("isolation", {})
    keys = {"internal_cidrs", "targets", "internal_names", "canaries", "management_hosts"}
    keys |= {"udp_targets", "snmp_community", "icmp_echo"}
    v.no_unknown(iso, "isolation.", keys)
    cfg.internal_cidrs = [
        v.cidr(item, f"isolation.internal_cidrs[{i}]")
        for i, item in enumerate(v.array(iso, "isolation.internal_cidrs"))
    ]
    cfg.targets = v.endpoints(iso, "isolation.targets")
    cfg.udp_targets = [
        v.udp_target(item, f"isolation.udp_targets[{i}]")
        for i, item in enumerate(v.array(iso, "isolation.udp_targets"))
    ]
    cfg.snmp_community = v.community(iso.get("snmp_community", "public"))
    icmp = iso.get("icmp_echo", True)
    if not isinstance(icmp, bool):
        raise ConfigError(path, "isolation.icmp_echo", f"must be true or false, got {icmp!r}")
    cfg.icmp_echo = icmp
    cfg.internal_names = v.names(iso, "isolation.internal_names", host=True)
    cfg.canaries = v.endpoints(iso, "isolation.canaries")
    cfg.management_hosts = [
        v.address(item, f"isolation.management_hosts[{i}]")
        for i, item in enumerate(v.array(iso, "isolation.management_hosts"))
    ]
    health = raw.get("health", {})
    keys = {"min_free_disk_mb", "disk_path", "max_uptime_days", "max_clock_skew_s", "processes"}
    v.no_unknown(health, "health.", keys)
    if "min_free_disk_mb" in health:
        cfg.min_free_disk_mb = int(
            v.number(health["min_free_disk_mb"], "health.min_free_disk_mb", high=1e9)
        )
    cfg.disk_path = v.string(health.get("disk_path", ""), "health.disk_path")
    if "max_uptime_days" in health:
        cfg.max_uptime_days = v.number(
            health["max_uptime_days"], "health.max_uptime_days", high=36500
        )
    if "max_clock_skew_s" in health:
        cfg.max_clock_skew_s = v.number(
            health["max_clock_skew_s"], "health.max_clock_skew_s", high=1e9
        )
    cfg.processes = v.names(health, "health.processes")
    staff = raw.get("staff", {})
    v.no_unknown(staff, "staff.", {"vpn_adapters"})
    cfg.vpn_adapters = v.names(staff, "staff.vpn_adapters")
    v.unique([c.url for c in cfg.check_urls], "internet.check_urls", ".url")
    for key, items in (
        ("internet.resolve", cfg.resolve),
        ("internet.https", cfg.https),
        ("isolation.targets", cfg.targets),
        ("isolation.udp_targets", cfg.udp_targets),
        ("isolation.internal_names", cfg.internal_names),
        ("isolation.canaries", cfg.canaries),
        ("health.processes", cfg.processes),
    ):
        v.unique(items, key)
    return cfg
