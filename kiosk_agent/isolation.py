"""Isolation checks: every probe must give positive evidence that the municipal network
is out of reach; a probe that cannot decide is ``unknown``, never ``ok``."""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

from kiosk_agent import probes
from kiosk_agent.config import NOTHING_PROVES_ISOLATION, Config, Endpoint
from kiosk_agent.model import Finding, Status
from kiosk_agent.os_common import ALWAYS_PRESENT, VPN_DESCRIPTION, VPN_NAME, current, require_psutil


def target(endpoint: Endpoint, cfg: Config) -> Finding:
    """TCP connect to an internal service: only silence or unreachability is isolation."""
    seen = probes.tcp_connect(str(endpoint.address), endpoint.port, cfg.timeout)
    if seen.outcome == probes.CONNECTED:
        return Finding(Status.CRIT, f"connected: {seen.detail}")
    if seen.outcome == probes.REFUSED:
        return Finding(Status.WARN, "refused: a host or firewall answered, so not isolated")
    if seen.outcome in (probes.TIMEOUT, probes.UNREACHABLE, probes.BLOCKED_LOCALLY):
        return Finding(Status.OK, f"{seen.outcome}: {seen.detail}", blocked=True)
    return Finding(Status.UNKNOWN, f"could not interpret: {seen.detail}")


def nothing_configured() -> Finding:
    """A kiosk configuration without a single probe of the municipal network: the checks
    that do run would pass on any network, so the verdict must not be ``ok``."""
    return Finding(Status.UNKNOWN, NOTHING_PROVES_ISOLATION)


def canary(endpoint: Endpoint, cfg: Config) -> Finding:
    """Connect to an address that exists nowhere: if it answers, something intercepts."""
    seen = probes.tcp_connect(str(endpoint.address), endpoint.port, cfg.timeout)
    if seen.outcome == probes.CONNECTED:
        return Finding(
            Status.WARN,
            f"connected to an address that exists nowhere ({seen.detail}): something "
            "intercepts connections, so no blocked result proves isolation",
        )
    if seen.outcome == probes.ERROR:
        return Finding(Status.UNKNOWN, f"could not interpret: {seen.detail}")
    return Finding(Status.OK, f"{seen.outcome}: {seen.detail} (no interceptor)", blocked=True)


def internal_name(name: str, cfg: Config) -> Finding:
    """An internal name must not exist here; resolving into the internal ranges is a leak."""
    res = probes.resolve(name, cfg.timeout)
    if res.addresses:
        inside = [a for a in res.addresses if cfg.is_internal(a)]
        if inside:
            return Finding(Status.CRIT, f"resolved into the internal ranges: {', '.join(inside)}")
        return Finding(
            Status.WARN,
            f"resolved to {', '.join(res.addresses[:4])} (outside the internal ranges): "
            "a resolver answers for the internal zone",
        )
    if res.nxdomain:
        return Finding(Status.OK, f"does not exist (NXDOMAIN: {res.error})")
    return Finding(Status.UNKNOWN, f"could not decide: {res.error}")


def interfaces(cfg: Config) -> Finding:
    """No adapter may hold an address inside the municipal ranges."""
    psutil = require_psutil()
    seen, inside = [], []
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        for addr in addrs:
            if addr.family.name not in ("AF_INET", "AF_INET6"):
                continue
            ip = addr.address.split("%", 1)[0]
            seen.append(f"{name} {ip}")
            if cfg.is_internal(ip):
                inside.append(f"{name} has {ip}")
    if inside:
        return Finding(Status.CRIT, "address inside the internal ranges: " + "; ".join(inside))
    return Finding(Status.OK, "no address in the internal ranges (saw " + ", ".join(seen) + ")")


def vpn_adapters() -> Finding:
    """No tunnel or VPN adapter: one that is up is a path around the isolation."""
    psutil = require_psutil()
    descriptions = current().adapter_descriptions()
    up, down = [], []
    stats = psutil.net_if_stats()
    for name, st in sorted(stats.items()):
        desc = descriptions.get(name, "")
        is_up = st.isup or "up" in (getattr(st, "flags", "") or "").split(",")
        if VPN_NAME.match(name) or (
            VPN_DESCRIPTION.search(desc) and not ALWAYS_PRESENT.search(desc)
        ):
            label = f"{name} ({desc})" if desc else name
            (up if is_up else down).append(label)
    if up:
        return Finding(Status.CRIT, "VPN-like adapter up: " + ", ".join(up + down))
    if down:
        return Finding(Status.WARN, "VPN-like adapter present but down: " + ", ".join(down))
    return Finding(Status.OK, "no VPN-like adapter among " + ", ".join(sorted(stats)))


def routes(cfg: Config) -> Finding:
    """No route more specific than the default may lead into the internal ranges."""
    table = current().routes()
    if not table:
        # Every PC with a link has some route: an empty table means the reader failed.
        return Finding(Status.UNKNOWN, "read no routes at all, so cannot tell")
    leaks = [
        r
        for r in table
        if r.network.prefixlen > 0
        and any(
            r.network.version == net.version and r.network.overlaps(net)
            for net in cfg.internal_cidrs
        )
    ]
    if leaks:
        return Finding(Status.CRIT, "route into the internal ranges: " + "; ".join(map(str, leaks)))
    return Finding(Status.OK, f"no route into the internal ranges ({len(table)} routes read)")


def connections(cfg: Config) -> Finding:
    """No established connection to an internal address, except from a management host."""
    psutil = require_psutil()
    allowed = {str(a) for a in cfg.management_hosts}
    bad, managed = [], []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status != psutil.CONN_ESTABLISHED or not conn.raddr or conn.pid == os.getpid():
            continue
        ip = conn.raddr.ip
        if not cfg.is_internal(ip):
            continue
        text = f"{conn.laddr.ip}:{conn.laddr.port} <-> {ip}:{conn.raddr.port}"
        if conn.pid:
            text += f" (pid {conn.pid})"
        (managed if ip.split("%", 1)[0] in allowed else bad).append(text)
    note = f"; from management hosts (expected): {', '.join(managed)}" if managed else ""
    if bad:
        return Finding(Status.CRIT, "established to internal addresses: " + ", ".join(bad) + note)
    return Finding(Status.OK, "no established connection to the internal ranges" + note)


def proxy(cfg: Config) -> Finding:
    """No proxy, PAC or WPAD setting may point into the municipal network."""
    settings, unreadable = current().proxy_settings()
    bad, fine, undecided = [], [], []
    for setting in settings:
        for host in _proxy_hosts(setting.kind, setting.value):
            where = f"{setting.kind} {setting.value!r} ({setting.source})"
            verdict = _host_is_internal(host, cfg)
            if verdict is None:
                undecided.append(where)
            else:
                (bad if verdict else fine).append(where)
    if bad:
        return Finding(Status.CRIT, "points into the municipal network: " + "; ".join(bad))
    if undecided or unreadable:
        missing = undecided + [f"could not read {u}" for u in unreadable]
        return Finding(Status.UNKNOWN, "could not decide: " + "; ".join(missing))
    if fine:
        return Finding(
            Status.OK, "proxy settings point outside the internal ranges: " + "; ".join(fine)
        )
    return Finding(Status.OK, "no proxy, PAC or WPAD setting found")


def _proxy_hosts(kind: str, value: str) -> list[str]:
    """Host names in a proxy value (``host:port``, ``http=h:p;https=h2:p``, a URL...)."""
    if kind == "wpad":
        return ["wpad"]
    hosts = []
    for part in re.split(r"[;,\s]+", value):
        part = part.split("=", 1)[-1] if "=" in part and "://" not in part else part
        if not part or part.startswith("<"):
            continue
        host = urlsplit(part if "://" in part else f"//{part}").hostname
        if host:
            hosts.append(host)
    return hosts


def _host_is_internal(host: str, cfg: Config) -> bool | None:
    """True/False when known; None when the name could not be resolved to decide."""
    try:
        return cfg.is_internal(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host.lower() in (n.lower() for n in cfg.internal_names):
        return True
    res = probes.resolve(host, cfg.timeout)
    if res.addresses:
        return any(cfg.is_internal(a) for a in res.addresses)
    return False if res.nxdomain else None
