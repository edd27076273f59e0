"""Internet checks: connectivity check (captive-portal aware), DNS, verified HTTPS,
and the link/default-route preconditions the isolation verdict depends on."""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import urlsplit

from kiosk_agent import probes
from kiosk_agent.config import CheckUrl, Config
from kiosk_agent.model import CheckResult, Finding, Status
from kiosk_agent.os_common import current, require_psutil


def connectivity(check: CheckUrl, cfg: Config, answers: list[probes.HttpAnswer]) -> Finding:
    """Fetch the check URL the way browsers detect captive portals: the exact status and
    body, no redirects followed, no cache; anything else is not internet."""
    try:
        answer = probes.http_get(check.url, cfg.timeout, cfg.ca_file)
    except probes.CaFileError as exc:
        return Finding(Status.UNKNOWN, str(exc))
    except ssl.SSLCertVerificationError as exc:
        return Finding(Status.CRIT, f"certificate did not verify ({exc.verify_message})")
    except ssl.SSLError as exc:
        return Finding(Status.CRIT, f"TLS failed (interception?): {exc.reason or exc}")
    except http.client.HTTPException as exc:
        return Finding(Status.CRIT, f"not an HTTP answer (proxy or portal?): {exc!r}")
    except OSError as exc:
        outcome = probes.classify_error(exc)
        if outcome == probes.ERROR:
            return Finding(Status.UNKNOWN, f"could not interpret: {type(exc).__name__}: {exc}")
        return Finding(Status.CRIT, f"no internet: {outcome} ({exc})")
    body = answer.body.decode("utf-8", errors="replace")
    shown = repr(body[:80]) + ("..." if len(body) > 80 else "")
    want = f"expected status {check.status} and body {check.body[:40]!r}"
    if answer.status == check.status and body.strip() == check.body.strip():
        answers.append(answer)  # only a genuine answer's Date is trusted for clock skew
        return Finding(Status.OK, f"status {answer.status} with the expected body")
    if 300 <= answer.status < 400:
        where = answer.location or "(no Location)"
        return Finding(Status.CRIT, f"captive portal: redirect {answer.status} to {where}; {want}")
    if answer.status == 407:
        return Finding(Status.CRIT, f"a proxy demands authentication (407); {want}")
    if answer.status == 511:
        return Finding(
            Status.CRIT, f"captive portal: network authentication required (511); {want}"
        )
    if answer.status == check.status:
        return Finding(Status.CRIT, f"captive portal or proxy page: body {shown}; {want}")
    return Finding(
        Status.CRIT, f"captive portal or proxy error: status {answer.status}, body {shown}; {want}"
    )


def dns(name: str, cfg: Config) -> Finding:
    """A public name must resolve; one resolving into the internal ranges means hijacked DNS."""
    res = probes.resolve(name, cfg.timeout)
    if res.addresses:
        inside = [a for a in res.addresses if cfg.is_internal(a)]
        if inside and cfg.profile == "staff":
            # Through the VPN's DNS, the internal view of public names is expected.
            return Finding(Status.OK, f"{name} resolved to {', '.join(inside)} (internal view)")
        if inside:
            return Finding(
                Status.CRIT,
                f"public name {name} resolved into the internal ranges: {', '.join(inside)} "
                "(the municipal resolver's internal view, or a rebinding answer)",
            )
        return Finding(Status.OK, f"resolved to {', '.join(res.addresses[:4])}")
    if res.nxdomain:
        return Finding(Status.CRIT, f"does not exist (NXDOMAIN): {res.error}")
    return Finding(Status.CRIT, f"did not resolve: {res.error}")


def https(url: str, cfg: Config) -> Finding:
    """A verified TLS handshake: a portal or an intercepting proxy cannot fake the certificate."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    try:
        return Finding(Status.OK, probes.tls_handshake(host, port, cfg.timeout, cfg.ca_file))
    except probes.CaFileError as exc:
        return Finding(Status.UNKNOWN, str(exc))
    except ssl.SSLCertVerificationError as exc:
        return Finding(
            Status.CRIT, f"certificate did not verify: {exc.verify_message} (interception?)"
        )
    except ssl.SSLError as exc:
        return Finding(Status.CRIT, f"TLS handshake failed: {exc.reason or exc}")
    except OSError as exc:
        return Finding(Status.CRIT, f"no connection: {probes.classify_error(exc)} ({exc})")


def link() -> Finding:
    """Precondition: some non-loopback adapter is up and has an address."""
    psutil = require_psutil()
    stats = psutil.net_if_stats()
    addrs = psutil.net_if_addrs()
    up = [
        name
        for name, st in stats.items()
        if st.isup and not name.lower().startswith(("lo", "loopback")) and addrs.get(name)
    ]
    if up:
        return Finding(Status.OK, f"link up: {', '.join(sorted(up))}")
    return Finding(
        Status.CRIT, f"no adapter is up with an address (saw {', '.join(sorted(stats))})"
    )


def default_route() -> Finding:
    """Precondition: a default route, the way out to the internet."""
    table = current().routes()
    if not table:
        return Finding(Status.UNKNOWN, "read no routes at all, so cannot tell")
    defaults = [r for r in table if r.network.prefixlen == 0]
    if defaults:
        return Finding(Status.OK, "default route " + "; ".join(str(r) for r in defaults))
    return Finding(Status.CRIT, "no default route: this PC cannot reach the internet")


def connection(results: list[CheckResult]) -> Finding | None:
    """Judge HTTP and HTTPS together, as Android does: HTTP passing while HTTPS fails is a
    partial connection (a filter or a portal that lets port 80 through), not internet.
    None when the configuration does not probe both."""
    http = [r for r in results if r.name.startswith("connectivity:http://")]
    secure = [r for r in results
              if r.name.startswith(("connectivity:https://", "https:"))]  # fmt: skip
    if not http or not secure:
        return None
    http_ok = [r.name for r in http if r.status is Status.OK]
    https_bad = [r.name for r in secure if r.status is not Status.OK]
    if http_ok and https_bad:
        return Finding(
            Status.CRIT,
            f"partial connection: HTTP passes ({', '.join(http_ok)}) but HTTPS fails "
            f"({', '.join(https_bad)}), so this is not internet",
        )
    if not http_ok and not https_bad:
        return Finding(Status.WARN, "HTTPS passes but no HTTP check does (a filter on port 80?)")
    if http_ok:
        return Finding(Status.OK, "full connection: HTTP and HTTPS both pass")
    return Finding(Status.CRIT, "no connection: neither HTTP nor HTTPS passes")
