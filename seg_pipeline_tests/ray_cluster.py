"""A real two-node Ray cluster on this machine for tests: a head and a worker node, both on 127.0.0.1
with their own ports and temp dirs, each a `ray start --block` process in its own process group, so
the test stops exactly what it started (never `ray stop`, which would stop every Ray on the machine)."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

RAY_CLI = Path(sys.executable).with_name("ray")
START_TIMEOUT_S = 120
STOP_GRACE_S = 10  # Ray drains a node for up to 30 s on SIGTERM; a test cluster has nothing to drain


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _node_args(temp_dir: Path, num_cpus: int) -> list[str]:
    ports = free_ports(6)
    return ["--node-ip-address", "127.0.0.1", "--num-cpus", str(num_cpus), "--num-gpus", "0",
            "--temp-dir", str(temp_dir), "--disable-usage-stats",
            "--node-manager-port", str(ports[0]), "--object-manager-port", str(ports[1]),
            "--dashboard-agent-listen-port", str(ports[2]), "--dashboard-agent-grpc-port", str(ports[3]),
            "--metrics-export-port", str(ports[4]), "--runtime-env-agent-port", str(ports[5]),
            "--object-store-memory", str(200 * 2**20), "--block"]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    # Token auth off for this throwaway cluster (the driver in the test joins without a token).
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    env.pop("RAY_ADDRESS", None)
    with open(log, "wb") as out:
        return subprocess.Popen([str(RAY_CLI), "start", *args], stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the group `ray start --block` leads (it stops its node's processes), then SIGKILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _stragglers(root: Path) -> list[int]:
    """Processes still running with this cluster's temp dir on their command line (ours alone)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split(None, 1)[0]) for line in out.splitlines()
            if str(root) in line and int(line.split(None, 1)[0]) != os.getpid()]


def _alive_nodes(address: str) -> int:
    """Nodes alive per the head's GCS, asked from a fresh interpreter (this one stays Ray-free)."""
    code = ("import ray; ray.init(address=%r, logging_level='ERROR'); "
            "print('NODES', sum(n['Alive'] for n in ray.nodes())); ray.shutdown()" % address)
    env = dict(os.environ, RAY_AUTH_MODE="disabled")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("NODES "):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True)
class Cluster:
    address: str  # "127.0.0.1:<gcs port>": a driver on this machine joins with it
    client_address: str  # "ray://127.0.0.1:<port>": the Ray Client server of the head


@contextlib.contextmanager
def two_node_cluster(cpus_per_node: int = 1) -> Iterator[Cluster]:
    """Yields the cluster once both nodes are up; stops both afterwards."""
    # Short root: Ray's unix socket paths must stay under ~107 characters.
    root = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))
    gcs_port, dashboard_port, client_port = free_ports(3)
    address = f"127.0.0.1:{gcs_port}"
    procs = []
    try:
        procs.append(_start(["--head", "--port", str(gcs_port), "--include-dashboard", "false",
                             "--dashboard-port", str(dashboard_port), "--ray-client-server-port", str(client_port),
                             *_node_args(root / "h", cpus_per_node)],
                            root / "head.log"))
        deadline = time.monotonic() + START_TIMEOUT_S
        started_worker = False
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                logs = "\n".join(f.read_text()[-2000:] for f in root.glob("*.log"))
                raise RuntimeError(f"a ray node exited early:\n{logs}")
            alive = _alive_nodes(address)
            if alive >= 1 and not started_worker:
                procs.append(_start(["--address", address, *_node_args(root / "w", cpus_per_node)],
                                    root / "worker.log"))
                started_worker = True
            if alive >= 2:
                break
            time.sleep(1)
        else:
            raise RuntimeError(f"the two-node cluster did not come up in {START_TIMEOUT_S} s")
        yield Cluster(address, f"ray://127.0.0.1:{client_port}")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for pid in _stragglers(root):  # workers the raylets started in groups of their own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
