"""A sweep joining a Ray cluster that another process started (``--address``), as on a cluster: the
head runs in a process of its own (``ray.init`` there) with Ray's token authentication (on by
default for such clusters since Ray 2.59), ``trackside sweep --address`` joins it from another
process, and the cluster's workers write the models into this Trackside home (the same path on the
same machine). Ray reads its authentication settings when it is imported, so every Ray-using part
runs in its own process here, none in the test's."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap

import pytest

from league.ray_setup import AUTH_HINT
from sim.paths import assets_dir
from tests.league.test_sweep import make_base

pytest.importorskip("ray")

HEAD = textwrap.dedent("""
    import sys, ray
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    print(ray.get_runtime_context().gcs_address, flush=True)
    sys.stdin.read()  # until the test closes it
    ray.shutdown()
""")


@pytest.fixture()
def cluster(trackside_home):
    """``(address, auth)``: a 2-CPU Ray head in a process of its own, and the environment that joins it."""
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    head = subprocess.Popen([sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, **auth})
    try:
        address = head.stdout.readline().strip()
        assert address, "the head process did not start Ray"
        yield address, auth
    finally:
        head.stdin.close()
        head.wait(timeout=60)


def sweep(address: str, env: dict, *extra: str) -> subprocess.CompletedProcess:
    rewards = assets_dir() / "reward_functions"
    args = ["sweep", "base", "--reward", str(rewards / "centre_line.py"), "--reward", str(rewards / "speed_aware.py"),
            "--iterations", "1", "--eval-track", "practice_oval_cup", "--eval-laps", "1", "--address", address, *extra]
    return subprocess.run([sys.executable, "-m", "gui.cli", *args], capture_output=True, text=True, timeout=240, env=env)


@pytest.mark.slow
def test_a_sweep_joins_a_cluster_by_its_address(cluster, trackside_home):
    address, auth = cluster
    make_base()
    done = sweep(address, {**os.environ, **auth}, "--name", "on-cluster", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout)["variants"]
    assert [r["status"] for r in rows] == ["done", "done"] and [r["rank"] for r in rows] == [1, 2]
    assert all((trackside_home / "models" / r["name"]).is_dir() for r in rows)  # written by the cluster's workers


@pytest.mark.slow
def test_joining_a_cluster_without_its_token_says_how(cluster, trackside_home):
    address, _ = cluster
    make_base()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    done = sweep(address, env)
    assert done.returncode == 1
    error = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert error == [f"error: Ray did not start at {address}: Failed to connect to Ray cluster at {address}; {AUTH_HINT}"]
