"""League queue benchmarks: queued submissions evaluated per second, one by one and on Ray.

- ``league.queue_subs_per_s_one_by_one``: a race's queue of 40 frozen copies of the standard
  model (1-lap time trial on ``workshop_loop_cup``) evaluated in this process, each recorded
  by ``league.queue_eval.evaluate_pending``.
- ``league.queue_subs_per_s_ray``: the same queue as Ray tasks on a local Ray instance with
  every CPU of the machine (one task per CPU), started before the clock runs (its start-up
  time is reported beside, as ``ray_start_s``); the one writer records every result.

Both after a warm-up queue of 4 (track caches, torch, Ray workers' imports).
"""

from __future__ import annotations

import os
import tempfile
import time

from common import report, wanted

ENTRIES, WARM_UP = 40, 4


def fill_queue(db, race: str, entries: int) -> None:
    from league.queue import queue_submission
    from trainer.model_store import ModelStore

    store = ModelStore()
    for i in range(entries):
        queue_submission(db, race, f"racer{i % 10}", "standard", models=store)


def timed_run(db, race: str, **how) -> float:
    from league.queue_eval import evaluate_pending

    fill_queue(db, race, WARM_UP)
    evaluate_pending(db, race, **how)
    fill_queue(db, race, ENTRIES)
    t = time.perf_counter()
    out = evaluate_pending(db, race, **how)
    elapsed = time.perf_counter() - t
    assert len(out["evaluated"]) == ENTRIES and not out["failed"], out["failed"][:3]
    return ENTRIES / elapsed


def main() -> None:
    if not (wanted("league.queue_subs_per_s_one_by_one") or wanted("league.queue_subs_per_s_ray")):
        return
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="bench-queue-")
    from league.db import open_db
    from league.races import add_racer, create_race

    db = open_db()
    for i in range(10):
        add_racer(db, f"racer{i}")
    for name in ("serial", "on-ray"):
        create_race(db, name, "workshop_loop_cup", laps=1)
    cpus = os.cpu_count() or 1
    report("league.queue_subs_per_s_one_by_one", timed_run(db, "serial"), "submissions/s", entries=ENTRIES, laps=1)
    try:
        import ray
    except ImportError:
        report("league.queue_subs_per_s_ray", float("nan"), "submissions/s", note="ray not installed")
        return
    t = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    start_s = time.perf_counter() - t
    try:
        rate = timed_run(db, "on-ray", ray=True)
    finally:
        ray.shutdown()
    report("league.queue_subs_per_s_ray", rate, "submissions/s", entries=ENTRIES, laps=1, cpus=cpus,
           ray_start_s=round(start_s, 2))


if __name__ == "__main__":
    main()
