"""Run `hotline-kg serve` replicas, HAProxy (deploy/haproxy.cfg) and nginx (deploy/nginx-cache.conf)
as real processes for a test, and read HAProxy's runtime API."""

from __future__ import annotations

import contextlib
import csv
import grp
import io
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from serving import free_port

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
READY = "/sparql?query=ASK%7B%7D"


def tool(name: str) -> str:
    """The path of a program the test needs; fails (never skips) when it is not installed."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail(
            f"{name} is not installed: the replica test needs HAProxy and nginx "
            "(Debian: apt-get install haproxy nginx; .ci/run installs them)",
            pytrace=False,
        )
    return found


def wait_for(check: Callable[[], bool], seconds: float, what: str, step: float = 0.02) -> float:
    """Poll until `check()` holds; the seconds it took. Fails the test after `seconds`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            pytest.fail(f"{what}: not within {seconds:g} s")
        time.sleep(step)
    return time.monotonic() - start


def answers(url: str) -> bool:
    try:
        return httpx.get(url + READY, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Replica:
    """`hotline-kg serve --dist DIST [--engine URL]` on a fixed loopback port (so that it can restart on it)."""

    def __init__(self, name: str, dist: Path, logs: Path, engine: str | None = None) -> None:
        self.name = name
        self.dist = dist
        self.engine = engine  # a remote SPARQL engine the replicas share, or None: each its own store
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.groups: list[int] = []

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"{self.name}-{self.starts}.log").open("wb")
        command = [sys.executable, "-m", "hotline_kg.cli", "serve", "--dist", str(self.dist)]
        # the test's clients share one address: as one client they would be over the per-client
        # limits (429), so the replicas run without them (tests/test_abuse.py tests the limits)
        command += ["--client-rate", "0", "--client-queries", "0"]
        if self.engine:
            command += ["--engine", self.engine]
        # a session of its own: its query workers can be found (and ended) even once orphaned
        self.proc = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.groups.append(self.proc.pid)
        log.close()

    def wait_ready(self, seconds: float = 60) -> float:
        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"replica {self.name} exited: {self.log()}")
            return answers(self.url)

        return wait_for(up, seconds, f"replica {self.name} answering on {self.url}", step=0.05)

    def kill(self) -> None:
        """SIGKILL of the server process: no goodbye, connections in flight just break."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        # what a killed server leaves behind (its query workers outlive it), as systemd would
        for group in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)

    def left_behind(self) -> int:
        """Processes still alive in the sessions of earlier starts (orphans of a killed server)."""
        earlier = set(self.groups[:-1] if self.proc is not None and self.proc.poll() is None else self.groups)
        count = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            count += fields[0] != "Z" and int(fields[2]) in earlier
        return count

    def log(self) -> str:
        return (self.logs / f"{self.name}-{self.starts}.log").read_text(errors="replace")[-3000:]


def _run_as() -> tuple[str, str]:
    """HAProxy drops privileges to `user`/`group`: the current ones, so that it can do so anywhere."""
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


class HAProxy:
    """deploy/haproxy.cfg as it is, its addresses given by environment variables."""

    def __init__(self, replicas: list[Replica], folder: Path) -> None:
        assert len(replicas) == 3, "deploy/haproxy.cfg names three replicas"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.socket = folder / "haproxy.sock"
        self.logfile = folder / "haproxy.log"
        user, group = _run_as()
        self.env = {
            **os.environ,
            "HOTLINE_KG_LB_BIND": f"127.0.0.1:{self.port}",
            "HOTLINE_KG_LB_STATS": f"127.0.0.1:{free_port()}",
            "HOTLINE_KG_LB_SOCKET": str(self.socket),
            "HOTLINE_KG_LB_LOG": "stdout",
            "HOTLINE_KG_LB_USER": user,
            "HOTLINE_KG_LB_GROUP": group,
            **{f"HOTLINE_KG_REPLICA{i}": f"127.0.0.1:{r.port}" for i, r in enumerate(replicas, 1)},
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = tool("haproxy")
        config = DEPLOY / "haproxy.cfg"
        check = subprocess.run([binary, "-c", "-f", str(config)], env=self.env, capture_output=True, text=True)
        assert check.returncode == 0, f"deploy/haproxy.cfg: {check.stdout}{check.stderr}"
        with self.logfile.open("wb") as log:
            self.proc = subprocess.Popen([binary, "-f", str(config), "-db"], env=self.env, stdout=log, stderr=log)
        wait_for(lambda: self.socket.exists() or self._exited(), 10, "HAProxy's stats socket")

    def _exited(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"haproxy exited: {self.log()}")
        return False

    def command(self, line: str) -> str:
        """One command of the runtime API (the stats socket)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.socket))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def stats(self) -> dict[str, dict[str, str]]:
        """`show stat` of the replicas backend: a row per server name, and BACKEND."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {row["svname"]: row for row in rows if row["pxname"] == "replicas"}

    def status(self, server: str) -> str:
        return self.stats()[server]["status"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace")[-3000:]

    def replayed(self) -> Counter[str]:
        """Requests answered after HAProxy retried them on another replica (`+N` retries in its log),
        by method."""
        pattern = re.compile(r" \d+/\d+/\d+/\d+/\+\d+ \d+/\d+ \"(\w+) ")
        return Counter(m.group(1) for m in pattern.finditer(self.logfile.read_text(errors="replace")))


class Nginx:
    """An nginx site configuration (``server`` blocks, a ``map`` …) inside a minimal nginx.conf,
    on a free port (its ``listen`` line replaced); ``probe``: a path that answers once it is up.
    ``Nginx.cache`` makes deploy/nginx-cache.conf with its example addresses replaced."""

    def __init__(self, site: str, folder: Path, listen: str, probe: str = "/", what: str = "nginx") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        self.probe = probe
        self.what = what
        self.proc: subprocess.Popen[bytes] | None = None
        assert site.count(listen) == 1, f"{what}: expected `{listen}` once"
        (folder / "hotline-kg.conf").write_text(site.replace(listen, f"listen 127.0.0.1:{self.port};"))
        user = "user root;" if os.geteuid() == 0 else ""  # workers may write the test's private folders
        temp = "".join(
            f"{kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n{user}\n"
            f"error_log {folder / 'error.log'} notice;\nevents {{ worker_connections 256; }}\n"
            f"http {{\naccess_log {folder / 'access.log'};\n{temp}include {folder / 'hotline-kg.conf'};\n}}\n"
        )

    @classmethod
    def cache(cls, upstream: HAProxy, folder: Path) -> Nginx:
        site = (DEPLOY / "nginx-cache.conf").read_text()
        for example, here in [
            ("/var/cache/nginx/hotline-kg", str(folder / "cache")),
            ("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream.port};"),
        ]:
            assert site.count(example) == 1, f"deploy/nginx-cache.conf: expected `{example}` once"
            site = site.replace(example, here)
        return cls(site, folder, "listen 80;", "/haproxy-health", "deploy/nginx-cache.conf")

    def start(self) -> None:
        binary = tool("nginx")
        conf = self.folder / "nginx.conf"
        args = [binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(conf)]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, f"{self.what}: {check.stderr}"
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"nginx exited: {self.log()}")
            try:
                httpx.get(self.url + self.probe, timeout=1)
                return True
            except httpx.HTTPError:
                return False

        wait_for(up, 10, "nginx answering")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
