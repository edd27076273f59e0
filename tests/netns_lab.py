"""A throwaway three-namespace network for the kiosk agent tests and the bench.

    kiosk (198.51.100.2) --veth-- internet router (198.51.100.1, serves 203.0.113.10,
                                    |              resolver 203.0.113.53 when started)
                                    |  (route to 10.20/16 only when a scenario adds it)
                                  municipal (198.18.0.2; services on 10.20.0.10/.11,
                                    UDP on .53/.123/.161, fd20:20::10 over IPv6)

Scenarios add a second cable kiosk-municipal (an IPv4 leak route, or IPv6 router
advertisements for fd20:20:1::/64), or a staff namespace whose VPN is a tun adapter carried
as UDP over the router to the municipal namespace (tests/netns_vpn.py).

Every name carries a random suffix so parallel runs never clash; ``close`` removes the
namespaces, their /etc/netns files and the servers. Nothing leaves these namespaces: the
kiosk's only routes lead to the other two, which have no route out.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVERS = Path(__file__).resolve().parent / "netns_servers.py"
KIOSK_IP = "198.51.100.2"
ROUTER_IP = "198.51.100.1"
INTERNET_IP = "203.0.113.10"
TARGETS = ["10.20.0.10:445", "10.20.0.11:389"]
CANARY = "10.255.255.1:445"
MANAGEMENT = "10.20.0.5"
UDP_TARGETS = ["10.20.0.53:53", "10.20.0.123:123", "10.20.0.161:161", "10.20.0.10:137"]
COMMUNITY = "kommune-ro"
MUNI6 = "fd20:20::10"
KIOSK6 = "2001:db8:100::2"
ROUTER6 = "2001:db8:100::1"
RA_PREFIX = "fd20:20:1::/64"
RESOLVER_IP = "203.0.113.53"
STAFF_IP = "198.51.101.2"
VPN_SERVER = "198.18.0.2"


def available(tun: bool = False) -> str:
    """Why the namespace tests (with ``tun``: the staff laptop's VPN too) cannot run here,
    or "" when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if not shutil.which("ip"):
        return "needs iproute2's `ip`"
    if tun and not os.path.exists("/dev/net/tun"):
        return "needs /dev/net/tun (the tun module) for the lab's VPN"
    return ""


def config_toml(**overrides: object) -> str:
    """The tests' configuration: every target inside the lab, overrides as raw TOML values."""
    values: dict[str, object] = {
        "timeout": "2.0",
        "check_urls": f'[{{ url = "http://{INTERNET_IP}/generate_204", status = 204, body = "" }}]',
        "resolve": '["www.borger.test"]',
        "https": "[]",
        "ca_file": '""',
        "internal_cidrs": '["10.0.0.0/8", "fd20::/16"]',
        "targets": json.dumps(TARGETS),
        "udp_targets": json.dumps(UDP_TARGETS),
        "snmp_community": json.dumps(COMMUNITY),
        "icmp_echo": "true",
        "profile": '"kiosk"',
        "vpn_adapters": "[]",
        "internal_names": '["intranet.kommune.test"]',
        "canaries": json.dumps([CANARY]),
        "management_hosts": json.dumps([MANAGEMENT]),
        "min_free_disk_mb": "1",
        "processes": "[]",
    }
    values.update(overrides)
    v = values
    return (
        f"timeout = {v['timeout']}\nprofile = {v['profile']}\n"
        f"[internet]\ncheck_urls = {v['check_urls']}\n"
        f"resolve = {v['resolve']}\nhttps = {v['https']}\nca_file = {v['ca_file']}\n"
        f"[isolation]\ninternal_cidrs = {v['internal_cidrs']}\ntargets = {v['targets']}\n"
        f"udp_targets = {v['udp_targets']}\nsnmp_community = {v['snmp_community']}\n"
        f"icmp_echo = {v['icmp_echo']}\n"
        f"internal_names = {v['internal_names']}\ncanaries = {v['canaries']}\n"
        f"management_hosts = {v['management_hosts']}\n"
        f"[health]\nmin_free_disk_mb = {v['min_free_disk_mb']}\nprocesses = {v['processes']}\n"
        f"[staff]\nvpn_adapters = {v['vpn_adapters']}\n"
    )


@dataclass
class AgentRun:
    """One run of ``kiosk-agent check --json`` inside the kiosk namespace."""

    returncode: int
    doc: dict
    stderr: str
    elapsed: float

    def status(self, name: str) -> str:
        """Status of the check called ``name`` (fails the test if it is missing)."""
        for check in self.doc["checks"]:
            if check["name"] == name:
                return check["status"]
        raise AssertionError(f"no check {name!r} in {[c['name'] for c in self.doc['checks']]}")

    def detail(self, name: str) -> str:
        return next(c["detail"] for c in self.doc["checks"] if c["name"] == name)

    def summary(self) -> str:
        """All checks, for assertion messages."""
        return "\n".join(f"{c['status']:8} {c['name']}: {c['detail']}" for c in self.doc["checks"])


class Lab:
    """Build the three namespaces; scenario methods add leaks, drops and interceptors."""

    def __init__(self, workdir: Path) -> None:
        tag = uuid.uuid4().hex[:6]
        self.tag = tag
        self.workdir = workdir
        self.kiosk, self.inet, self.muni = f"ka-k-{tag}", f"ka-i-{tag}", f"ka-m-{tag}"
        self.procs: list[subprocess.Popen] = []
        self.hosts: dict[str, str] = {"www.borger.test": INTERNET_IP}
        self.resolver = ""
        self._resolver_proc: subprocess.Popen | None = None
        self.staff = f"ka-s-{tag}"
        self.vpn_client: subprocess.Popen | None = None
        """The staff laptop's VPN client (``add_staff``); kill it and its adapter goes."""
        self._made: list[str] = []

    # -- plumbing ---------------------------------------------------------------------

    def ip(self, ns: str, *args: str) -> None:
        """Run ``ip -n NS ...`` and fail loudly: a half-built lab proves nothing."""
        subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=20)

    def exec(self, ns: str, *args: str) -> None:
        subprocess.run(["ip", "netns", "exec", ns, *args], check=True, capture_output=True)

    def build(self) -> Lab:
        t = self.tag
        for ns in (self.kiosk, self.inet, self.muni):
            subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
            self._made.append(ns)
            self.ip(ns, "link", "set", "lo", "up")
            # Links made from here on skip duplicate address detection: a link-local
            # address stays "tentative" for about a second, and IPv6 over that link is
            # silently dropped until then (a scenario would see silence, not its answer).
            self.exec(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
        self._veth(self.kiosk, f"kx{t}", f"{KIOSK_IP}/24", self.inet, f"ix{t}", f"{ROUTER_IP}/24")
        self._veth(self.inet, f"im{t}", "198.18.0.1/30", self.muni, f"mi{t}", "198.18.0.2/30")
        self.ip(self.kiosk, "route", "add", "default", "via", ROUTER_IP)
        self.ip(self.inet, "addr", "add", f"{INTERNET_IP}/32", "dev", "lo")
        self.exec(self.inet, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # The kernel sends only a couple of ICMP errors per host and second; the other
        # probes would time out instead of being "unreachable" (ok either way, but the
        # isolated scenario should see the router's answer every time).
        self.exec(self.inet, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
        self.ip(self.muni, "route", "add", "default", "via", "198.18.0.1")
        for address in ("10.20.0.10", "10.20.0.11", "10.20.0.53", "10.20.0.123", "10.20.0.161",
                        MANAGEMENT):  # fmt: skip
            self.ip(self.muni, "addr", "add", f"{address}/32", "dev", "lo")
        self.ip(self.muni, "addr", "add", f"{MUNI6}/128", "dev", "lo", "nodad")
        # What systemd sets on every distribution: any group may open ICMP echo sockets
        # (a new namespace starts with none allowed; one test puts that back).
        self.exec(self.kiosk, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
        self.write_etc()
        return self

    def _veth(self, ns_a: str, a: str, addr_a: str, ns_b: str, b: str, addr_b: str) -> None:
        subprocess.run(
            ["ip", "link", "add", a, "netns", ns_a, "type", "veth", "peer", "name", b,
             "netns", ns_b],
            check=True, capture_output=True,
        )  # fmt: skip
        for ns, dev, addr in ((ns_a, a, addr_a), (ns_b, b, addr_b)):
            self.ip(ns, "addr", "add", addr, "dev", dev)
            self.ip(ns, "link", "set", dev, "up")
        # Packets sent before the carrier is up are lost and TCP retries only after 1 s,
        # which would blur the timing figures: wait until both ends report LOWER_UP.
        deadline = time.monotonic() + 5
        for ns, dev in ((ns_a, a), (ns_b, b)):
            while time.monotonic() < deadline:
                out = subprocess.run(["ip", "-n", ns, "-o", "link", "show", "dev", dev],
                                     capture_output=True, text=True).stdout  # fmt: skip
                if "LOWER_UP" in out:
                    break
                time.sleep(0.02)

    def write_etc(self, ns: str = "", resolver: str = "") -> None:
        """Per-namespace /etc files (``ip netns exec`` bind-mounts them): names come from
        this hosts file, and from ``resolver`` (DNS) when one is set; an unknown name is a
        clean NXDOMAIN."""
        etc = Path("/etc/netns") / (ns or self.kiosk)
        etc.mkdir(parents=True, exist_ok=True)
        resolver = resolver or (self.resolver if not ns else "")
        hosts = {} if resolver else self.hosts
        lines = ["127.0.0.1 localhost"] + [f"{ip} {name}" for name, ip in hosts.items()]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        (etc / "nsswitch.conf").write_text("hosts: files dns\n" if resolver else "hosts: files\n")
        conf = f"nameserver {resolver}\noptions timeout:1 attempts:1\n" if resolver else ""
        (etc / "resolv.conf").write_text(conf)

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=10)
        for ns in self._made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for ns in (self.kiosk, self.staff):
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)

    def start(self, ns: str, *args: str) -> subprocess.Popen:
        """Start a netns_servers.py server in ``ns`` and wait for its ``ready``."""
        cmd = ["ip", "netns", "exec", ns, sys.executable, str(SERVERS), *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            proc.kill()
            raise RuntimeError(f"server {args} did not start: {proc.stderr.read()}")
        return proc

    # -- scenarios --------------------------------------------------------------------

    def serve_internet(self, status: int = 204, body: str = "", location: str = "") -> None:
        args = ["http", "--bind", INTERNET_IP, "--status", str(status), "--body", body]
        self.start(self.inet, *args, *(["--location", location] if location else []))

    def municipal_services(self) -> None:
        self.start(self.muni, "tcp", "--bind", "::", "445", "389", "22")

    def route_to_municipal(self) -> None:
        """The router forwards internal traffic: hosts answer (or refuse) the kiosk."""
        self.ip(self.inet, "route", "add", "10.20.0.0/16", "via", "198.18.0.2")

    def blackhole_internal(self) -> None:
        """The router silently drops everything for 10/8: every probe must time out."""
        self.ip(self.inet, "route", "add", "blackhole", "10.0.0.0/8")

    def leak_route(self) -> None:
        """A second cable from the kiosk into the municipal net, with a route over it."""
        t = self.tag
        self._veth(self.kiosk, f"kl{t}", "198.18.1.1/30", self.muni, f"ml{t}", "198.18.1.2/30")
        self.ip(self.kiosk, "route", "add", "10.20.0.0/16", "via", "198.18.1.2")

    def intercept_all_internal(self) -> None:
        """The router answers for every 10/8 address itself, like a SYN/transparent proxy."""
        self.ip(self.inet, "route", "add", "local", "10.0.0.0/8", "dev", "lo")
        self.start(self.inet, "tcp", "445", "389")

    def municipal_udp(self) -> None:
        """The municipal DNS, NTP, SNMP and NetBIOS servers (every municipal address)."""
        binds = [a for ip in ("10.20.0.10", "10.20.0.53", "10.20.0.123", "10.20.0.161", MUNI6)
                 for a in ("--bind", ip)]  # fmt: skip
        self.start(self.muni, "udp", *binds, "--dns", "53", "--ntp", "123", "--snmp", "161",
                   "--netbios", "137", "--community", COMMUNITY,
                   "--name", "intranet.kommune.test=10.20.0.10",
                   "--name", f"www.borger.test={INTERNET_IP}")  # fmt: skip

    def lab_resolver(self, names: dict[str, str]) -> None:
        """A resolver on the internet side (203.0.113.53) answering ``names``; the kiosk
        then looks names up over DNS instead of its hosts file."""
        if self._resolver_proc is None:
            self.ip(self.inet, "addr", "add", f"{RESOLVER_IP}/32", "dev", "lo")
        else:  # a new answer table: replace the running resolver
            self._resolver_proc.kill()
            self._resolver_proc.wait(timeout=10)
        self._resolver_proc = self.start(self.inet, "udp", "--bind", RESOLVER_IP, "--dns", "53",
                   *[a for n, ip in names.items() for a in ("--name", f"{n}={ip}")])  # fmt: skip
        self.resolver = RESOLVER_IP
        self.write_etc()

    def ipv6_internet(self) -> None:
        """IPv6 to the internet as many ISPs give it: a public prefix on the kiosk's link
        and a default route via the router, which has no route to the municipal fd20::/16
        (so it answers "unreachable") until a scenario adds one."""
        t = self.tag
        self.exec(self.inet, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        self.exec(self.inet, "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0")
        self.ip(self.kiosk, "addr", "add", f"{KIOSK6}/64", "dev", f"kx{t}", "nodad")
        self.ip(self.inet, "addr", "add", f"{ROUTER6}/64", "dev", f"ix{t}", "nodad")
        self.ip(self.kiosk, "-6", "route", "add", "default", "via", ROUTER6)

    def ipv6_route_to_municipal(self) -> None:
        """The router forwards IPv6 to the municipal namespace: its hosts answer or refuse."""
        t = self.tag
        self.ip(self.inet, "addr", "add", "2001:db8:200::1/64", "dev", f"im{t}", "nodad")
        self.ip(self.muni, "addr", "add", "2001:db8:200::2/64", "dev", f"mi{t}", "nodad")
        self.ip(self.inet, "-6", "route", "add", "fd20::/16", "via", "2001:db8:200::2")
        self.ip(self.muni, "-6", "route", "add", "default", "via", "2001:db8:200::1")

    def ipv6_blackhole_internal(self) -> None:
        """The router silently drops everything for fd20::/16."""
        self.ip(self.inet, "-6", "route", "add", "blackhole", "fd20::/16")

    def ipv6_router_advertisements(self) -> None:
        """A cable into the municipal namespace with no IPv4 at all, whose router advertises
        the internal prefix: the kiosk learns an address, a route and a default router."""
        t = self.tag
        kdev, mdev = f"kv{t}", f"mv{t}"
        subprocess.run(["ip", "link", "add", kdev, "netns", self.kiosk, "type", "veth",
                        "peer", "name", mdev, "netns", self.muni],
                       check=True, capture_output=True)  # fmt: skip
        self.exec(self.kiosk, "sysctl", "-qw", f"net.ipv6.conf.{kdev}.accept_dad=0")
        self.exec(self.muni, "sysctl", "-qw", f"net.ipv6.conf.{mdev}.accept_dad=0")
        # A router: its neighbour advertisements carry the router flag, or the kiosk would
        # drop it from its default routers at the first packet it sends there.
        self.exec(self.muni, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
        self.ip(self.muni, "addr", "add", "fd20:20:1::1/64", "dev", mdev)
        self.ip(self.kiosk, "link", "set", kdev, "up")
        self.ip(self.muni, "link", "set", mdev, "up")
        self.start(self.muni, "ra", "--dev", mdev, "--prefix", RA_PREFIX, "--interval", "0.5")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            addrs = subprocess.run(["ip", "-n", self.kiosk, "-6", "addr", "show", "dev", kdev],
                                   capture_output=True, text=True).stdout  # fmt: skip
            default = subprocess.run(["ip", "-n", self.kiosk, "-6", "route", "show", "default"],
                                     capture_output=True, text=True).stdout  # fmt: skip
            if "fd20:20:1:" in addrs and kdev in default:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the kiosk learned nothing from the advertisements: {addrs} {default}")

    def add_staff(self) -> str:
        """A staff laptop's namespace: internet through the router like the kiosk, and a
        VPN: a tun adapter (``tun...``, like OpenVPN's) whose packets go as UDP over the
        site network and the router to the municipal end at 198.18.0.2:51820, with the
        route to 10.20/16 and the municipal resolver. Returns the adapter's name. The
        municipal end's adapter is ``mw...``: set it down and the far end is gone."""
        t = self.tag
        vpn_dev, far_dev = f"tun{t}", f"mw{t}"
        subprocess.run(["ip", "netns", "add", self.staff], check=True, capture_output=True)
        self._made.append(self.staff)
        self.ip(self.staff, "link", "set", "lo", "up")
        self._veth(self.staff, f"sx{t}", f"{STAFF_IP}/24", self.inet, f"is{t}", "198.51.101.1/24")
        self.ip(self.staff, "route", "add", "default", "via", "198.51.101.1")
        server, client = f"{VPN_SERVER}:51820", f"{STAFF_IP}:51820"
        self.start(self.muni, "vpn", "--dev", far_dev, "--local", server, "--peer", client)
        self.vpn_client = self.start(
            self.staff, "vpn", "--dev", vpn_dev, "--local", client, "--peer", server
        )
        for ns, dev, address in ((self.muni, far_dev, "10.99.0.1/30"),
                                 (self.staff, vpn_dev, "10.99.0.2/30")):  # fmt: skip
            self.ip(ns, "link", "set", dev, "mtu", "1400")  # room for the UDP/IP header
            self.ip(ns, "addr", "add", address, "dev", dev)
            self.ip(ns, "link", "set", dev, "up")
        self.ip(self.staff, "route", "add", "10.20.0.0/16", "dev", vpn_dev)
        self.write_etc(self.staff, resolver="10.20.0.53")
        return vpn_dev

    def run_agent(self, config: str, extra_path: str = "", *args: str, ns: str = "") -> AgentRun:
        cfg = self.workdir / f"kiosk-{uuid.uuid4().hex[:6]}.toml"
        cfg.write_text(config)
        path = os.pathsep.join(p for p in (extra_path, str(REPO)) if p)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": path}
        cmd = ["ip", "netns", "exec", ns or self.kiosk, sys.executable, "-m", "kiosk_agent",
               "check", "--json", "--config", str(cfg), *args]  # fmt: skip
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        elapsed = time.monotonic() - start
        try:
            doc = json.loads(done.stdout)
        except ValueError as exc:
            raise AssertionError(f"not JSON: {done.stdout!r} {done.stderr!r}") from exc
        return AgentRun(done.returncode, doc, done.stderr, elapsed)
