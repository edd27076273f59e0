"""Linux readers: routing table over rtnetlink (or /proc), proxy settings from system-wide files.

Only files readable without root are used; what lives in a user's private settings
(e.g. a GNOME session's dconf database) is not seen, and the proxy check says so.
"""

from __future__ import annotations

import glob
import ipaddress
import json
import os
import re
import socket
import struct

from kiosk_agent.os_common import ProxySetting, Route, network_of

PROC_ROUTE = "/proc/net/route"
PROC_ROUTE6 = "/proc/net/ipv6_route"
_RTF_UP = 0x0001
_RTF_REJECT = 0x0200


def default_disk_path() -> str:
    """The file system the kiosk's browser profile and logs live on."""
    return "/"


def routes() -> list[Route]:
    """Unicast routes of every routing table, IPv4 and IPv6.

    Read over rtnetlink, which any user may do: /proc/net/route shows only the main table
    (a leak in a policy-routing table would go unseen) and cannot tell a blackhole route,
    which isolates, from one that leads somewhere. /proc is the fallback.
    """
    try:
        return _netlink_routes()
    except OSError:
        return _proc_routes()


_RTM_NEWROUTE, _RTM_GETROUTE = 24, 26
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NLM_F_REQUEST, _NLM_F_DUMP = 0x1, 0x300
_RTA_DST, _RTA_OIF, _RTA_GATEWAY, _RTA_TABLE = 1, 4, 5, 15
_RTN_UNICAST = 1
_RTM_F_CLONED = 0x200
_RT_TABLE_MAIN = 254
_HEADER = struct.Struct("=IHHII")
_RTMSG = struct.Struct("=BBBBBBBBI")


def _netlink_routes() -> list[Route]:
    """Dump the routing tables (``ip route show table all``) and keep the unicast routes."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(2.0)
        sock.bind((0, 0))
        request = _RTMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0, 0)
        flags = _NLM_F_REQUEST | _NLM_F_DUMP
        sock.send(_HEADER.pack(_HEADER.size + len(request), _RTM_GETROUTE, flags, 1, 0) + request)
        found: list[Route] = []
        while True:
            data = sock.recv(1 << 20)
            if not data:
                raise OSError("netlink closed before the end of the route dump")
            offset = 0
            while offset + _HEADER.size <= len(data):
                length, kind, _flags, _seq, _pid = _HEADER.unpack_from(data, offset)
                if length < _HEADER.size:
                    raise OSError("malformed netlink message")
                body = data[offset + _HEADER.size : offset + length]
                if kind == _NLMSG_DONE:
                    return found
                if kind == _NLMSG_ERROR:
                    code = -struct.unpack_from("=i", body)[0]
                    raise OSError(code, os.strerror(code))
                if kind == _RTM_NEWROUTE:
                    route = _parse_rtmsg(body)
                    if route:
                        found.append(route)
                offset += (length + 3) & ~3


def _parse_rtmsg(body: bytes) -> Route | None:
    """One route, or None for what never leads off the PC: local, broadcast, multicast,
    blackhole, unreachable and prohibit routes, and cached clones."""
    family, dst_len, _src, _tos, table, _proto, _scope, kind, flags = _RTMSG.unpack_from(body)
    if family not in (socket.AF_INET, socket.AF_INET6) or kind != _RTN_UNICAST:
        return None
    if flags & _RTM_F_CLONED:
        return None
    attrs: dict[int, bytes] = {}
    offset = _RTMSG.size
    while offset + 4 <= len(body):
        size, attr = struct.unpack_from("=HH", body, offset)
        if size < 4:
            break
        attrs[attr] = body[offset + 4 : offset + size]
        offset += (size + 3) & ~3
    width = 4 if family == socket.AF_INET else 16
    dst = attrs.get(_RTA_DST, bytes(width))
    network = network_of(socket.inet_ntop(family, dst), dst_len)
    gateway = socket.inet_ntop(family, attrs[_RTA_GATEWAY]) if _RTA_GATEWAY in attrs else ""
    iface = "?"
    if _RTA_OIF in attrs:
        index = struct.unpack("=I", attrs[_RTA_OIF])[0]
        try:
            iface = socket.if_indextoname(index)
        except OSError:
            iface = f"if{index}"
    if _RTA_TABLE in attrs:
        table = struct.unpack("=I", attrs[_RTA_TABLE])[0]
    return Route(network, gateway, iface, "" if table == _RT_TABLE_MAIN else str(table))


def _proc_routes() -> list[Route]:
    """IPv4 (main table only) and IPv6 routes from /proc, without reject routes."""
    found: list[Route] = []
    with open(PROC_ROUTE, encoding="ascii") as fh:
        next(fh, None)
        for line in fh:
            fields = line.split()
            if len(fields) < 8:
                continue
            iface, dest, gateway, flags, mask = (
                fields[0],
                fields[1],
                fields[2],
                fields[3],
                fields[7],
            )
            if int(flags, 16) & _RTF_REJECT or not int(flags, 16) & _RTF_UP:
                continue
            # The kernel prints the raw 32-bit value, so it is in the host's byte order.
            dest_ip = socket.inet_ntoa(struct.pack("=L", int(dest, 16)))
            prefix = bin(int(mask, 16)).count("1")
            gw = socket.inet_ntoa(struct.pack("=L", int(gateway, 16)))
            found.append(Route(network_of(dest_ip, prefix), "" if gw == "0.0.0.0" else gw, iface))
    if os.path.exists(PROC_ROUTE6):
        with open(PROC_ROUTE6, encoding="ascii") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) < 10 or int(fields[8], 16) & _RTF_REJECT:
                    continue
                iface = fields[9]
                if iface == "lo":
                    continue  # local and multicast entries, not paths off the PC
                dest = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
                gw = str(ipaddress.IPv6Address(bytes.fromhex(fields[4])))
                found.append(
                    Route(
                        network_of(str(dest), int(fields[1], 16)), "" if gw == "::" else gw, iface
                    )
                )
    return found


_ENV_LINE = re.compile(
    r"^\s*(?:export\s+)?(https?_proxy|all_proxy|ftp_proxy|auto_proxy)\s*=\s*['\"]?([^'\"\s]+)",
    re.IGNORECASE | re.MULTILINE,
)


def proxy_settings() -> tuple[list[ProxySetting], list[str]]:
    """Proxy/PAC settings found system-wide, and the places that could not be read."""
    found: list[ProxySetting] = []
    unreadable: list[str] = []
    for var in ("http_proxy", "https_proxy", "all_proxy", "auto_proxy"):
        for name in (var, var.upper()):
            if os.environ.get(name):
                kind = "pac" if var == "auto_proxy" else "proxy"
                found.append(ProxySetting(f"environment {name}", kind, os.environ[name]))
    for path in ["/etc/environment", *sorted(glob.glob("/etc/profile.d/*.sh"))]:
        text = _read(path, unreadable)
        for match in _ENV_LINE.finditer(text or ""):
            kind = "pac" if match.group(1).lower() == "auto_proxy" else "proxy"
            found.append(ProxySetting(path, kind, match.group(2)))
    chrome = ["/etc/chromium/policies/managed", "/etc/opt/chrome/policies/managed"]
    chrome += ["/etc/chromium-browser/policies/managed"]
    for folder in chrome:
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            policy = _json(path, unreadable)
            for key, kind in (("ProxyServer", "proxy"), ("ProxyPacUrl", "pac")):
                if isinstance(policy.get(key), str):
                    found.append(ProxySetting(f"{path} {key}", kind, policy[key]))
            if policy.get("ProxyMode") == "auto_detect":
                found.append(ProxySetting(f"{path} ProxyMode", "wpad", "auto_detect"))
    for path in (
        "/etc/firefox/policies/policies.json",
        "/usr/lib/firefox/distribution/policies.json",
    ):
        proxy = _json(path, unreadable).get("policies", {}).get("Proxy", {})
        for key, kind in (("HTTPProxy", "proxy"), ("SSLProxy", "proxy"), ("AutoConfigURL", "pac")):
            if isinstance(proxy.get(key), str) and proxy[key]:
                found.append(ProxySetting(f"{path} Proxy.{key}", kind, proxy[key]))
        if proxy.get("Mode") == "autoDetect":
            found.append(ProxySetting(f"{path} Proxy.Mode", "wpad", "autoDetect"))
    for path in sorted(glob.glob("/etc/dconf/db/*.d/*")):
        text = _read(path, unreadable) or ""
        for match in re.finditer(r"^\s*(autoconfig-url|host)\s*=\s*'([^']+)'", text, re.MULTILINE):
            kind = "pac" if match.group(1) == "autoconfig-url" else "proxy"
            found.append(ProxySetting(f"{path} {match.group(1)}", kind, match.group(2)))
    return found, unreadable


def adapter_descriptions() -> dict[str, str]:
    """Linux names its adapters by driver kind already; descriptions add nothing."""
    return {}


def _read(path: str, unreadable: list[str]) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(1_000_000)
    except FileNotFoundError:
        return None
    except OSError:
        unreadable.append(path)
        return None


def _json(path: str, unreadable: list[str]) -> dict:
    text = _read(path, unreadable)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        unreadable.append(f"{path} (not JSON)")
        return {}
    return data if isinstance(data, dict) else {}
