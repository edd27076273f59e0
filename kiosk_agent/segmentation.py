"""Isolation beyond TCP, as segmentation tests are run: UDP services, ICMP echo, IPv6.

Same rule as the TCP checks: only silence or unreachability is evidence of isolation, an
answer of any kind from inside is never ``ok``, and a probe that could not be sent is
``unknown``.
"""

from __future__ import annotations

import socket

from kiosk_agent import icmp, probes, udp
from kiosk_agent.config import Config, IPAddress, UdpTarget
from kiosk_agent.model import Finding, Status
from kiosk_agent.os_common import current, require_psutil

_SILENT = (probes.TIMEOUT, probes.UNREACHABLE, probes.BLOCKED_LOCALLY)


def request_for(target: UdpTarget, cfg: Config) -> tuple[bytes, object]:
    """The service's request and the reader of its answer."""
    if target.service == "dns":
        return udp.dns_request()
    if target.service == "ntp":
        return udp.ntp_request()
    if target.service == "snmp":
        return udp.snmp_request(cfg.snmp_community)
    if target.service == "netbios":
        return udp.netbios_request()
    return udp.syslog_request(_hostname())


def udp_target(target: UdpTarget, cfg: Config) -> Finding:
    """A harmless request to an internal UDP service: any answer is a leak."""
    payload, read = request_for(target, cfg)
    seen = udp.exchange(str(target.address), target.port, payload, cfg.timeout)
    if seen.outcome == udp.ANSWERED:
        return Finding(Status.CRIT, f"answered: {read(seen.answer)} ({target.service} probe)")
    if seen.outcome == probes.REFUSED:
        return Finding(Status.WARN, "port unreachable: a host answered (ICMP), so not isolated")
    if seen.outcome in _SILENT:
        if target.service == "syslog" and seen.outcome == probes.TIMEOUT:
            # A syslog server takes messages and never replies: silence is what a
            # listening server and a blocked path both look like.
            return Finding(
                Status.UNKNOWN,
                "no answer, which proves nothing for syslog (a listening server is silent "
                "too); only an ICMP unreachable could tell",
            )
        return Finding(Status.OK, f"{seen.outcome}: {seen.detail}", blocked=True)
    return Finding(Status.UNKNOWN, f"could not interpret: {seen.detail}")


def icmp_target(address: IPAddress, cfg: Config) -> Finding:
    """An echo request to an internal address: a reply means it is reachable over IP."""
    seen = icmp.echo(str(address), cfg.timeout)
    if seen.outcome == icmp.REPLY:
        return Finding(Status.CRIT, f"reachable: {seen.detail}")
    if seen.outcome == icmp.NOT_PERMITTED:
        return Finding(Status.UNKNOWN, f"could not ping: {seen.detail}")
    if seen.outcome in _SILENT:
        return Finding(Status.OK, f"{seen.outcome}: {seen.detail}", blocked=True)
    return Finding(Status.UNKNOWN, f"could not interpret: {seen.detail}")


def ipv6(cfg: Config) -> Finding:
    """IPv6 learned from router advertisements (an address, a prefix route, a default
    router) inside the internal IPv6 ranges is a leak even when IPv4 is isolated."""
    psutil = require_psutil()
    ranges = [net for net in cfg.internal_cidrs if net.version == 6]
    table = [r for r in current().routes() if r.network.version == 6]
    inside_if: dict[str, list[str]] = {}
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        for addr in addrs:
            if addr.family == socket.AF_INET6:
                ip = addr.address.split("%", 1)[0]
                if cfg.is_internal(ip):
                    inside_if.setdefault(name, []).append(ip)
    leaks = [f"{name} has {', '.join(ips)}" for name, ips in inside_if.items()]
    for r in table:
        if r.network.prefixlen and any(r.network.overlaps(net) for net in ranges):
            leaks.append(f"route {r}")
            inside_if.setdefault(r.interface, [])
    defaults = [r for r in table if r.network.prefixlen == 0]
    for r in defaults:
        if cfg.is_internal(r.gateway) or r.interface in inside_if:
            leaks.append(f"default router {r.gateway or '(none)'} on {r.interface}, a link "
                         "that carries the internal IPv6 ranges")  # fmt: skip
    if leaks:
        return Finding(Status.CRIT, "IPv6 into the internal ranges: " + "; ".join(leaks))
    if not ranges:
        if defaults:
            return Finding(
                Status.WARN,
                "IPv6 default route (" + "; ".join(map(str, defaults)) + ") but no internal "
                "IPv6 range in isolation.internal_cidrs, so IPv6 isolation is not checked",
            )
        return Finding(Status.OK, "no IPv6 default route and no internal IPv6 range configured")
    where = "; ".join(map(str, defaults)) or "none"
    return Finding(
        Status.OK,
        f"no IPv6 address, route or default router in {', '.join(map(str, ranges))} "
        f"(default routes: {where})",
    )


def _hostname() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return ""
