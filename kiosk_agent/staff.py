"""The staff profile: can a staff laptop at this site work? The opposite of a kiosk check.

The plan's relocated Borgerservice needs internet, and through the VPN the municipal
systems (passports, MitID). So a VPN adapter must be up, every internal target must
answer and the connection must leave through that adapter; isolation does not apply.
"""

from __future__ import annotations

from kiosk_agent import probes, udp
from kiosk_agent.config import Config, Endpoint, UdpTarget
from kiosk_agent.model import Finding, Status
from kiosk_agent.os_common import ALWAYS_PRESENT, VPN_DESCRIPTION, VPN_NAME, current, require_psutil
from kiosk_agent.segmentation import request_for


def vpn_names(cfg: Config) -> dict[str, bool]:
    """The VPN adapters on this PC and whether each is up: the configured names
    (``[staff] vpn_adapters``), or else every adapter that looks like a VPN."""
    psutil = require_psutil()
    descriptions = current().adapter_descriptions()
    found = {}
    for name, st in psutil.net_if_stats().items():
        desc = descriptions.get(name, "")
        if cfg.vpn_adapters:
            wanted = name in cfg.vpn_adapters
        else:
            wanted = bool(VPN_NAME.match(name)) or bool(
                VPN_DESCRIPTION.search(desc) and not ALWAYS_PRESENT.search(desc)
            )
        if wanted:
            found[name] = st.isup or "up" in (getattr(st, "flags", "") or "").split(",")
    return found


def vpn(cfg: Config) -> Finding:
    """A VPN adapter is up: without it, staff cannot reach the municipal systems."""
    adapters = vpn_names(cfg)
    up = sorted(n for n, is_up in adapters.items() if is_up)
    down = sorted(n for n, is_up in adapters.items() if not is_up)
    if up:
        note = f" (down: {', '.join(down)})" if down else ""
        return Finding(Status.OK, f"VPN adapter up: {', '.join(up)}{note}")
    wanted = ", ".join(cfg.vpn_adapters) or "a VPN-like adapter"
    if down:
        return Finding(Status.CRIT, f"VPN adapter down: {', '.join(down)}")
    return Finding(Status.CRIT, f"no VPN adapter ({wanted}) on this PC")


def _through_vpn(local: str, cfg: Config) -> tuple[bool, str]:
    """Whether ``local`` (the source address the kernel chose) is on a VPN adapter."""
    psutil = require_psutil()
    vpns = vpn_names(cfg)
    for name, addrs in psutil.net_if_addrs().items():
        if any(a.address.split("%", 1)[0] == local for a in addrs):
            return name in vpns, name
    return False, "no adapter"


def internal_tcp(endpoint: Endpoint, cfg: Config) -> Finding:
    """An internal service connects, and through the VPN adapter."""
    seen = probes.tcp_connect(str(endpoint.address), endpoint.port, cfg.timeout)
    if seen.outcome != probes.CONNECTED:
        return Finding(
            Status.CRIT, f"not reachable through the VPN: {seen.outcome} ({seen.detail})"
        )
    local = seen.detail.rsplit(" ", 1)[-1]
    return _judge_path(local, cfg, "connected")


def internal_udp(target: UdpTarget, cfg: Config) -> Finding:
    """An internal UDP service answers its request, through the VPN adapter."""
    payload, read = request_for(target, cfg)
    seen = udp.exchange(str(target.address), target.port, payload, cfg.timeout)
    if seen.outcome != udp.ANSWERED:
        return Finding(Status.CRIT, f"no answer through the VPN: {seen.outcome} ({seen.detail})")
    return _judge_path(seen.local, cfg, f"answered: {read(seen.answer)}")


def _judge_path(local: str, cfg: Config, what: str) -> Finding:
    through, adapter = _through_vpn(local, cfg)
    if through:
        return Finding(Status.OK, f"{what} through {adapter} (from {local})")
    return Finding(
        Status.CRIT,
        f"{what}, but from {local} on {adapter}, not through the VPN: the site network "
        "itself reaches the municipal network",
    )


def internal_name(name: str, cfg: Config) -> Finding:
    """An internal name resolves into the internal ranges (the VPN's DNS is in use)."""
    res = probes.resolve(name, cfg.timeout)
    inside = [a for a in res.addresses if cfg.is_internal(a)]
    if inside:
        return Finding(Status.OK, f"resolved to {', '.join(inside)}")
    if res.addresses:
        shown = ", ".join(res.addresses[:4])
        return Finding(Status.CRIT, f"resolved outside the internal ranges: {shown}")
    return Finding(Status.CRIT, f"did not resolve (is the VPN's DNS in use?): {res.error}")
