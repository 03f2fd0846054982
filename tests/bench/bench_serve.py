"""Event-server benchmark: ``serve.update_latency_p95_s``.

``trackside serve`` runs in its own process on localhost; 200 clients (asyncio httpx streams in
this process) follow one race-day board by server-sent events while this process records a
hand-timed session with a lap every 0.5 s for ~20 s (``league.raceday``, as the app records
them). For each recorded session and each client: the time the first snapshot holding it arrived
minus the time its write committed. The value is the 95th percentile over all of them, s (target:
under 1 s). A client that never saw a session counts as infinitely late.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from common import report, wanted

CLIENTS = 200
PERIOD_S = 0.5
DURATION_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gui.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server did not start: {proc.stderr.read().decode()[-2000:]}")


async def follow(client: httpx.AsyncClient, url: str, seen: dict[int, float], ready: asyncio.Event, counter: list):
    """Record when each board size (number of rows = sessions recorded) first arrives."""
    async with client.stream("GET", url) as r:
        async for line in r.aiter_lines():
            if not line.startswith("data: "):
                continue
            now = time.time()
            n = len(json.loads(line[6:]).get("rows", ()))
            if not ready.is_set():
                counter[0] += 1
                if counter[0] == CLIENTS:
                    ready.set()
            for k in range(1, n + 1):
                seen.setdefault(k, now)


async def run(port: int, event_id: int) -> tuple[list[float], int]:
    from gui.screenshots_web import hand_timed
    from league import raceday as rd
    from league.db import open_db

    writer = ThreadPoolExecutor(1)  # one thread owns the writing connection (SQLite's rule), off the loop
    db = writer.submit(open_db).result()
    ev = writer.submit(rd.get_event, db, event_id).result()
    loop = asyncio.get_running_loop()
    url = f"http://127.0.0.1:{port}/events/raceday:{event_id}"
    ready, counter = asyncio.Event(), [0]
    seen: list[dict[int, float]] = [{} for _ in range(CLIENTS)]
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS + 10)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0)) as client:
        tasks = [asyncio.create_task(follow(client, url, seen[i], ready, counter)) for i in range(CLIENTS)]
        await asyncio.wait_for(ready.wait(), 60)
        recorded: dict[int, float] = {}
        start = time.monotonic()
        k = 0
        while time.monotonic() - start < DURATION_S:
            k += 1
            await loop.run_in_executor(writer, hand_timed, db, ev, f"racer{k:03d}", [12.0 + k / 100])
            recorded[k] = time.time()
            await asyncio.sleep(max(0.0, start + k * PERIOD_S - time.monotonic()))
        await asyncio.sleep(2.0)  # the last one's stragglers
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [s[k] - at if k in s else float("inf") for s in seen for k, at in recorded.items()]
    return latencies, len(recorded)


def main() -> None:
    if not wanted("serve.update_latency_p95_s"):
        return
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-bench-serve-")
    from league import raceday as rd
    from league.db import open_db

    event_id = rd.create_event(open_db(), "bench", "workshop_loop").id
    port = free_port()
    server = start_server(port)
    try:
        latencies, laps = asyncio.run(run(port, event_id))
    finally:
        server.terminate()
        server.wait(10)
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    finite = [x for x in ordered if x != float("inf")]
    report("serve.update_latency_p95_s", p95, "s", clients=CLIENTS, laps=laps, period_s=PERIOD_S,
           median_s=round(statistics.median(finite), 4) if finite else None,
           max_s=round(max(finite), 4) if finite else None, missed=len(ordered) - len(finite), target_s=1.0)


if __name__ == "__main__":
    main()
