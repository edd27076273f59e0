"""A throwaway three-namespace network for the kiosk agent tests and the bench.

    kiosk (198.51.100.2) --veth-- internet router (198.51.100.1, serves 203.0.113.10)
                                    |  (route to 10.20/16 only when a scenario adds it)
                                  municipal (198.18.0.2; services on 10.20.0.10/.11)

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


def available() -> str:
    """Why the namespace tests cannot run here, or "" when they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    if not shutil.which("ip"):
        return "needs iproute2's `ip`"
    return ""


def config_toml(**overrides: object) -> str:
    """The tests' configuration: every target inside the lab, overrides as raw TOML values."""
    values: dict[str, object] = {
        "timeout": "2.0",
        "check_urls": f'[{{ url = "http://{INTERNET_IP}/generate_204", status = 204, body = "" }}]',
        "resolve": '["www.borger.test"]',
        "https": "[]",
        "ca_file": '""',
        "internal_cidrs": '["10.0.0.0/8"]',
        "targets": json.dumps(TARGETS),
        "internal_names": '["intranet.kommune.test"]',
        "canaries": json.dumps([CANARY]),
        "management_hosts": json.dumps([MANAGEMENT]),
        "min_free_disk_mb": "1",
        "processes": "[]",
    }
    values.update(overrides)
    v = values
    return (
        f"timeout = {v['timeout']}\n[internet]\ncheck_urls = {v['check_urls']}\n"
        f"resolve = {v['resolve']}\nhttps = {v['https']}\nca_file = {v['ca_file']}\n"
        f"[isolation]\ninternal_cidrs = {v['internal_cidrs']}\ntargets = {v['targets']}\n"
        f"internal_names = {v['internal_names']}\ncanaries = {v['canaries']}\n"
        f"management_hosts = {v['management_hosts']}\n"
        f"[health]\nmin_free_disk_mb = {v['min_free_disk_mb']}\nprocesses = {v['processes']}\n"
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
        for address in ("10.20.0.10", "10.20.0.11", MANAGEMENT):
            self.ip(self.muni, "addr", "add", f"{address}/32", "dev", "lo")
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

    def write_etc(self) -> None:
        """Per-namespace /etc files (``ip netns exec`` bind-mounts them): names come only
        from this hosts file, so an unknown name is a clean NXDOMAIN."""
        etc = Path("/etc/netns") / self.kiosk
        etc.mkdir(parents=True, exist_ok=True)
        lines = ["127.0.0.1 localhost"] + [f"{ip} {name}" for name, ip in self.hosts.items()]
        (etc / "hosts").write_text("\n".join(lines) + "\n")
        (etc / "nsswitch.conf").write_text("hosts: files\n")
        (etc / "resolv.conf").write_text("")

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(timeout=10)
        for ns in self._made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(Path("/etc/netns") / self.kiosk, ignore_errors=True)

    def start(self, ns: str, *args: str) -> None:
        """Start a netns_servers.py server in ``ns`` and wait for its ``ready``."""
        cmd = ["ip", "netns", "exec", ns, sys.executable, str(SERVERS), *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        line = proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            proc.kill()
            raise RuntimeError(f"server {args} did not start: {proc.stderr.read()}")

    # -- scenarios --------------------------------------------------------------------

    def serve_internet(self, status: int = 204, body: str = "", location: str = "") -> None:
        args = ["http", "--bind", INTERNET_IP, "--status", str(status), "--body", body]
        self.start(self.inet, *args, *(["--location", location] if location else []))

    def municipal_services(self) -> None:
        self.start(self.muni, "tcp", "445", "389", "22")

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

    def run_agent(self, config: str, extra_path: str = "", *args: str) -> AgentRun:
        cfg = self.workdir / f"kiosk-{uuid.uuid4().hex[:6]}.toml"
        cfg.write_text(config)
        path = os.pathsep.join(p for p in (extra_path, str(REPO)) if p)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": path}
        cmd = ["ip", "netns", "exec", self.kiosk, sys.executable, "-m", "kiosk_agent",
               "check", "--json", "--config", str(cfg), *args]  # fmt: skip
        start = time.monotonic()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        elapsed = time.monotonic() - start
        try:
            doc = json.loads(done.stdout)
        except ValueError as exc:
            raise AssertionError(f"not JSON: {done.stdout!r} {done.stderr!r}") from exc
        return AgentRun(done.returncode, doc, done.stderr, elapsed)
