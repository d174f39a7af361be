"""The embedded engine's query workers end with their server, even one killed with SIGKILL
(a replica killed behind the load balancer must not leave orphans holding memory)."""

import os
import signal
import time
from pathlib import Path

import pytest

from serving import start


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_workers_end_when_the_server_is_killed(built):
    _, dist = built
    _, proc = start("--dist", str(dist), "--workers", "2", "--store", "memory")
    workers = children(proc.pid)
    assert len(workers) >= 2, "the server has its query workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(alive(w) for w in workers), "workers outlived their server"
