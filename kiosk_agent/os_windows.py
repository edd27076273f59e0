"""Windows readers: routing table from ``route print``, proxy settings from the registry
and WinHTTP, adapter descriptions from ``getmac``.

All of these work for a standard user; run as SYSTEM the agent also sees every loaded
user hive under HKEY_USERS, which is where a kiosk user's browser proxy lives.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import os
import re
import subprocess

from kiosk_agent.os_common import ProxySetting, Route, network_of

_CREATE_NO_WINDOW = 0x08000000
_INET_SETTINGS = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
_POLICY_SETTINGS = r"Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings"


def default_disk_path() -> str:
    """The system drive, where profiles and the browser cache live."""
    return os.environ.get("SYSTEMDRIVE", "C:") + "\\"


def _run(args: list[str]) -> str:
    """Run a read-only system tool without flashing a console window."""
    out = subprocess.run(
        args, capture_output=True, timeout=10, check=True, creationflags=_CREATE_NO_WINDOW
    )
    return out.stdout.decode("utf-8", errors="replace")


_V4 = r"\d{1,3}(?:\.\d{1,3}){3}"
# Matched by shape, not by headings or "On-link", which Windows translates ("På link").
_V4_ROUTE = re.compile(rf"^\s*({_V4})\s+({_V4})\s+(\S.*?)\s+({_V4})\s+(\d+)\s*$")
# A long IPv6 destination pushes the gateway onto the next line.
_V6_ROUTE = re.compile(r"^\s*(\d+)\s+(\d+)\s+([0-9A-Fa-f:.]+(?:%\d+)?/\d+)(?:\s+(\S.*?))?\s*$")


def parse_route_print(text: str) -> list[Route]:
    """Parse the active routes of ``route print`` (IPv4 and IPv6) in any display language."""
    found: list[Route] = []
    for line in text.splitlines():
        v4, v6 = _V4_ROUTE.match(line), _V6_ROUTE.match(line)
        try:
            if v4:
                dest, mask, gateway, iface, _metric = v4.groups()
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
                gw = gateway if re.fullmatch(_V4, gateway) else ""
                found.append(Route(network_of(dest, prefix), gw, iface))
            elif v6:
                index, _metric, dest, gateway = v6.groups()
                address, prefix = dest.split("%", 1)[0].split("/")
                gw = gateway if gateway and ":" in gateway else ""
                found.append(Route(network_of(address, int(prefix)), gw, f"if{index}"))
        except ValueError:
            continue  # an address-like line that is not a route
    # Loopback, link-local, multicast and broadcast entries never lead off the PC.
    return [
        r
        for r in found
        if not (r.network.is_loopback or r.network.is_multicast or r.network.is_link_local)
        and str(r.network) != "255.255.255.255/32"
    ]


def routes() -> list[Route]:
    """The active IPv4 and IPv6 routes."""
    return parse_route_print(_run(["route", "print"]))


def proxy_settings() -> tuple[list[ProxySetting], list[str]]:
    """WinINET proxy/PAC/WPAD for the machine, policies and every loaded user, plus WinHTTP."""
    import winreg  # Windows-only module, imported here so Linux never needs it

    found: list[ProxySetting] = []
    unreadable: list[str] = []
    hives: list[tuple[str, int, str]] = [
        ("HKLM", winreg.HKEY_LOCAL_MACHINE, _INET_SETTINGS),
        ("HKLM", winreg.HKEY_LOCAL_MACHINE, _POLICY_SETTINGS),
        ("HKCU", winreg.HKEY_CURRENT_USER, _INET_SETTINGS),
    ]
    try:
        with winreg.OpenKey(winreg.HKEY_USERS, "") as users:
            for i in range(winreg.QueryInfoKey(users)[0]):
                sid = winreg.EnumKey(users, i)
                if sid.startswith("S-1-5-21-") and not sid.endswith("_Classes"):
                    hives.append((f"HKU\\{sid}", winreg.HKEY_USERS, f"{sid}\\{_INET_SETTINGS}"))
    except OSError:
        unreadable.append("HKEY_USERS")
    for label, root, path in hives:
        try:
            key = winreg.OpenKey(root, path)
        except FileNotFoundError:
            continue
        except OSError:
            unreadable.append(f"{label}\\{path}")
            continue
        with key:
            values = _values(winreg, key)
        where = f"{label}\\{path}"
        if values.get("ProxyEnable") == 1 and values.get("ProxyServer"):
            found.append(ProxySetting(f"{where} ProxyServer", "proxy", str(values["ProxyServer"])))
        if values.get("AutoConfigURL"):
            found.append(
                ProxySetting(f"{where} AutoConfigURL", "pac", str(values["AutoConfigURL"]))
            )
    try:
        text = _run(["netsh", "winhttp", "show", "proxy"])
        match = re.search(r"Proxy Server\(s\)\s*:\s*(\S+)", text)
        if match:
            found.append(ProxySetting("WinHTTP (netsh winhttp)", "proxy", match.group(1)))
    except (OSError, subprocess.SubprocessError):
        unreadable.append("netsh winhttp show proxy")
    return found, unreadable


def _values(winreg, key) -> dict[str, object]:  # noqa: ANN001 - winreg only exists on Windows
    values: dict[str, object] = {}
    i = 0
    while True:
        try:
            name, value, _kind = winreg.EnumValue(key, i)
        except OSError:
            return values
        values[name] = value
        i += 1


def adapter_descriptions() -> dict[str, str]:
    """Connection name -> adapter description (``TAP-Windows Adapter V9``...), via getmac,
    because psutil only knows the friendly connection names."""
    try:
        text = _run(["getmac", "/v", "/fo", "csv", "/nh"])
    except (OSError, subprocess.SubprocessError):
        return {}
    return {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if len(row) >= 2}
