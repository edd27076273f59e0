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


def parse_route_print(text: str) -> list[Route]:
    """Parse the "Active Routes" sections of ``route print`` (IPv4 and IPv6)."""
    found: list[Route] = []
    section = ""
    for line in text.splitlines():
        if "IPv4 Route Table" in line:
            section = "v4"
        elif "IPv6 Route Table" in line:
            section = "v6"
        elif line.strip().startswith("Persistent Routes"):
            section = ""
        fields = line.split()
        try:
            if section == "v4" and len(fields) == 5:
                dest, mask, gateway, iface = fields[0], fields[1], fields[2], fields[3]
                prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
                gw = "" if gateway == "On-link" else gateway
                found.append(Route(network_of(dest, prefix), gw, iface))
            elif section == "v6" and len(fields) == 4 and fields[0].isdigit():
                dest, prefix = fields[2].split("/")
                gw = "" if fields[3] == "On-link" else fields[3]
                found.append(Route(network_of(dest, int(prefix)), gw, f"if{fields[0]}"))
        except ValueError:
            continue  # header and separator lines
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
