"""The configuration's values and their checks: addresses, endpoints, UDP targets, check
URLs, names. Each check raises :class:`ConfigError` naming the file, the key and the problem,
in one line (control characters in what the file said are shown escaped).
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any

from kiosk_agent import validate
from kiosk_agent.udp import PORTS, SERVICES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(Exception):
    """A configuration problem, worded as ``FILE: KEY: what is wrong``."""

    def __init__(self, path: str | os.PathLike[str], key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}" if key else f"{self.path}: {problem}")


@dataclass(frozen=True)
class Endpoint:
    """An IP address and TCP port to probe."""

    address: IPAddress
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class UdpTarget:
    """An IP address, UDP port and the service whose request is sent there."""

    address: IPAddress
    port: int
    service: str

    def __str__(self) -> str:
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class CheckUrl:
    """A connectivity-check URL and the exact answer real internet gives."""

    url: str
    status: int = 204
    body: str = ""


MAX_ENTRIES = 256
# Control characters, line separators and bidi overrides: in a name they are a paste
# accident or an attack, and a name the resolver cannot look up would "not exist" (ok).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")


class Validator:
    """Small type and format checks that all raise :class:`ConfigError` for one file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def no_unknown(self, table: dict[str, Any], prefix: str, known: set[str]) -> None:
        for key in table:
            if key not in known:
                raise self.fail(prefix + key, f"unknown key (expected one of {sorted(known)})")

    def unique(self, items: list[Any], key: str, suffix: str = "") -> None:
        """Each entry names a check and a metric series; node_exporter rejects the whole
        metrics file when two series are the same, so a repeated entry is an error."""
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            j = first.setdefault(str(item), i)
            if j != i:
                raise self.fail(f"{key}[{i}]{suffix}", f"repeats [{j}] ({str(item)!r})")

    def number(self, value: Any, key: str, low: float = 0, high: float | None = None) -> float:
        if isinstance(value, str):  # TOML numbers only; "5" in quotes is a mistake to report
            raise self.fail(key, f"must be a number, got str {value!r}")
        try:
            return validate.number(value, low=low, high=high)
        except validate.Invalid as e:
            raise self.fail(key, str(e)) from None

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {type(value).__name__} {value!r}")
        return value

    def array(self, table: dict[str, Any], key: str) -> list[Any]:
        value = table.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list, got {type(value).__name__} {value!r}")
        if len(value) > MAX_ENTRIES:  # every probe is a thread and a socket, all at once
            raise self.fail(key, f"{len(value)} entries, at most {MAX_ENTRIES}")
        return value

    def names(self, table: dict[str, Any], key: str, host: bool = False) -> list[str]:
        names = [self.string(item, f"{key}[{i}]") for i, item in enumerate(self.array(table, key))]
        for i, name in enumerate(names):
            if not name.strip() or any(c.isspace() for c in name) or _CONTROL.search(name):
                raise self.fail(
                    f"{key}[{i}]",
                    f"must be a non-empty name without spaces or control characters: "
                    f"{_shown(name)}",
                )
            if host:
                self.host_name(name, f"{key}[{i}]")
        return names

    def host_name(self, name: str, key: str) -> None:
        """A DNS name the resolver can look up: a name it refuses to encode would come
        back as "does not exist", which an isolation check reads as ``ok``."""
        labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
        for label in labels:
            try:
                ascii_label = label.encode("idna").decode("ascii") if label else ""
            except UnicodeError:
                ascii_label = ""
            if not _LABEL.fullmatch(ascii_label):
                raise self.fail(
                    key,
                    f"not a host name: {_shown(name)}: label {_shown(label)} is not 1-63 "
                    "letters, digits, '-' or '_'",
                )
        if len(name.encode("idna")) > 253:
            raise self.fail(key, f"not a host name: {_shown(name)} is longer than 253 characters")

    def community(self, value: Any) -> str:
        """An SNMP community: what one datagram can carry, as an agent would store it."""
        key = "isolation.snmp_community"
        text = self.string(value, key)
        if not text or len(text.encode()) > 255 or _CONTROL.search(text):
            raise self.fail(
                key, f"must be 1-255 bytes without control characters, got {_shown(text)}"
            )
        return text

    def url(self, value: Any, key: str, schemes: tuple[str, ...]) -> str:
        try:
            return validate.url(self.string(value, key), schemes)
        except validate.Invalid as e:
            raise self.fail(key, str(e)) from None

    def check_url(self, value: Any, key: str) -> CheckUrl:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table like { url = ..., status = 204, body = '' }")
        self.no_unknown(value, key + ".", {"url", "status", "body"})
        if "url" not in value:
            raise self.fail(key + ".url", "is required")
        url = self.url(value["url"], key + ".url", ("http", "https"))
        status = value.get("status", 204)
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise self.fail(key + ".status", f"must be an HTTP status 100-599, got {status!r}")
        return CheckUrl(url, status, self.string(value.get("body", ""), key + ".body"))

    def address(self, value: Any, key: str) -> IPAddress:
        text = self.string(value, key)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise self.fail(key, f"not an IP address: {_shown(text)}") from None
        return self.no_zone(address, key)

    def no_zone(self, address: IPAddress, key: str) -> IPAddress:
        """A zone (``fe80::1%eth0``) names an adapter of one PC, not a municipal address."""
        if getattr(address, "scope_id", None):
            raise self.fail(key, f"an address with a zone (%{address.scope_id}) is not a routed "
                            "municipal address; write it without the zone")  # fmt: skip
        return address

    def cidr(self, value: Any, key: str) -> IPNetwork:
        text = self.string(value, key)
        try:
            return ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise self.fail(key, f"not a network in CIDR form: {text!r} ({exc})") from None

    def endpoints(self, table: dict[str, Any], key: str) -> list[Endpoint]:
        return [self.endpoint(item, f"{key}[{i}]") for i, item in enumerate(self.array(table, key))]

    def udp_target(self, value: Any, key: str) -> UdpTarget:
        """``ADDRESS:PORT`` with a well-known port, or ``ADDRESS:PORT/SERVICE``."""
        text = self.string(value, key)
        where, slash, service = text.partition("/")
        endpoint = self.endpoint(where, key)
        known = ", ".join(f"{name} ({port})" for name, port in SERVICES.items())
        if slash and not service:
            raise self.fail(
                key, f"nothing after '/' in {_shown(text)}; a service is one of: {known}"
            )
        if service:
            if service not in SERVICES:
                raise self.fail(key, f"no probe for UDP service {service!r}; known: {known}")
        elif endpoint.port in PORTS:
            service = PORTS[endpoint.port]
        else:
            raise self.fail(
                key,
                f"no probe for UDP port {endpoint.port} (an unknown service gets no probe); "
                f"use a known port or ADDRESS:PORT/SERVICE with one of: {known}",
            )
        return UdpTarget(endpoint.address, endpoint.port, service)

    def endpoint(self, value: Any, key: str) -> Endpoint:
        text = self.string(value, key)
        host, sep, port_text = text.rpartition(":")
        try:
            port = validate.port(port_text) if sep else 0
        except validate.Invalid:
            port = 0
        if not port:
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise self.fail(key, f"must be ADDRESS:PORT with a port 1-65535, got {shown!r}")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        elif ":" in host:
            raise self.fail(key, f"write an IPv6 target as [ADDRESS]:PORT, got {text!r}")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise self.fail(key, f"not an IP address: {_shown(host)} in {_shown(text)}") from None
        return Endpoint(self.no_zone(address, key), port)


def _shown(value: str) -> str:
    """``repr`` (control characters escaped), cut to one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
