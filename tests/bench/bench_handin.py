"""Model hand-in benchmark.

- ``serve.upload_checks_s``: a 50 MB model archive (an exported clone of the standard model padded
  with a 50 MB DeepRacer training trace of random bytes, which the checks must unpack and copy in
  full) posted to the event server's ``/handin/{event}`` over real HTTP on localhost, until its
  receipt comes back: upload, the import's safety checks, freezing and hashing, joining the queue.
  Median of 3 (a new racer each time). ``checks_s`` beside it: :func:`league.handin.hand_in` on the
  same file without HTTP.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import report, wanted

SIZE = 50 * 2**20
RUNS = 3


def bench_upload() -> None:
    import httpx

    from gui.web.context import WebContext
    from gui.web.server import EventServer
    from league.db import open_db
    from league.handin import hand_in
    from league.raceday.events import create_event
    from league.tokens import scope_of, token_for
    from tests.league.handin_archives import padded_archive

    folder = Path(os.environ["TRACKSIDE_HOME"]) / "archives"
    folder.mkdir()
    archive = padded_archive(folder, SIZE)
    db = open_db()
    ev = create_event(db, "Bench", "workshop_loop")
    token = token_for(db, scope_of("raceday", ev.id))
    server = EventServer("127.0.0.1", 0, WebContext(), features=("gui.web.handin",)).start()
    upload, checks = [], []
    try:
        for i in range(RUNS):
            t0 = time.perf_counter()
            with open(archive, "rb") as fh:
                r = httpx.post(f"{server.url}/handin/{ev.id}", data={"alias": f"racer-{i}", "token": token},
                               files={"file": (archive.name, fh, "application/gzip")},
                               headers={"Accept": "application/json"}, timeout=120)
            upload.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise SystemExit(f"upload refused: {r.text}")
            t0 = time.perf_counter()
            receipt = hand_in(db, archive, f"direct-{i}", f"raceday:{ev.id}", source="bench")
            checks.append(time.perf_counter() - t0)
            assert receipt["status"] == "accepted", receipt["reason"]
    finally:
        server.stop()
    report("serve.upload_checks_s", statistics.median(upload), "s", archive_mb=round(archive.stat().st_size / 2**20, 1),
           checks_s=round(statistics.median(checks), 3), runs=RUNS)


if __name__ == "__main__":
    if wanted("serve.upload_checks_s"):
        home = tempfile.mkdtemp(prefix="bench-handin-home-")  # never the user's home: it imports 6 models
        os.environ["TRACKSIDE_HOME"] = home
        try:
            bench_upload()
        finally:
            shutil.rmtree(home, ignore_errors=True)
