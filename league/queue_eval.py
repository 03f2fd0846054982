"""Evaluate a race's queued submissions, and re-check a whole race, in bulk (optionally on Ray).

:func:`evaluate_pending` drives every pending entry of a race's queue (:mod:`league.queue`)
with its frozen copy and seed under the race's rules (:mod:`league.queue_drive`: Ray tasks,
or one by one in this process), while ONE writer, the calling process, records each result
as it comes back (:func:`league.queue.record_queued`: the submission, its laps and the
entry's new state in one transaction). Workers never touch the database: SQLite wants one
writer, and a worker on another machine could not reach the file anyway.

:func:`recheck_race` is the reproduce check (:mod:`league.reproduce`) for every submission of
a race at once: each is driven again from its recorded seed and any whose laps (times to the
millisecond, collisions) differ from the recorded ones is reported.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from sim import SIM_VERSION
from sim.library import load_track

from .db import LeagueError
from .laptime import to_ms
from .queue import list_queue, mark_failed, record_queued
from .queue_drive import Drive, drive_all
from .race_setup import Race, get_race


def evaluate_pending(db: sqlite_utils.Database, race: str | Race, *, ray: bool = False, address: str | None = None,
                     num_cpus: int | None = None, on_result: Callable[[dict], None] | None = None) -> dict:
    """Evaluate every pending submission of ``race`` and record each result as it arrives.

    ``ray``: as Ray tasks (``address``: a cluster, else a local instance with ``num_cpus``); else
    one by one in this process, the same code. Returns ``{"race", "evaluated": [...],
    "failed": [...]}``, one dict per entry in queue order (``queue_id, racer, model, seed``
    and ``submission``, ``time_s`` or ``error``); ``on_result`` gets each as it is recorded.
    A submission that cannot be driven or recorded is marked failed with the reason; the
    others go on. Refuses a race closed by hand (reopen it, or evaluate before closing).
    """
    r = get_race(db, race)
    if r.state != "open":
        raise LeagueError(f"race {r.name!r} is closed: reopen it (trackside league race open {r.name}) "
                          "to evaluate its queue")
    entries = {e.id: e for e in list_queue(db, r, "pending")}
    drives = [Drive(e.id, e.frozen.hash, e.frozen.model, e.seed) for e in entries.values()]
    out: dict = {"race": r.name, "evaluated": [], "failed": []}
    if not drives:
        return out
    for drive, laps, error in drive_all(drives, load_track(r.track), r.rules, ray=ray, address=address,
                                        num_cpus=num_cpus):
        entry = entries[drive.key]
        row = {"queue_id": entry.id, "racer": entry.racer, "model": entry.frozen.model, "seed": entry.seed}
        sub_id = None
        if error is None:
            try:
                sub_id = record_queued(db, r, entry, laps)
            except LeagueError as exc:
                error = str(exc)
        if error is not None:
            mark_failed(db, entry, error)
            row["error"] = error
            out["failed"].append(row)
        elif sub_id is not None:  # None: another evaluation of the queue recorded it first
            score = db.execute("SELECT score_ms FROM submissions WHERE id = ?", [sub_id]).fetchone()[0]
            row.update(submission=sub_id, time_s=None if score is None else score / 1000)
            out["evaluated"].append(row)
        else:
            continue
        if on_result is not None:
            on_result(row)
    return out


def recheck_race(db: sqlite_utils.Database, race: str | Race, *, ray: bool = False, address: str | None = None,
                 num_cpus: int | None = None) -> dict:
    """Drive every submission of ``race`` again from its recorded seed and compare the laps.

    Returns ``{"race", "checked", "identical", "different": [...], "skipped": [...],
    "failed": [...]}``: ``different`` holds ``submission, racer, recorded_ms, replayed_ms,
    recorded_collisions, replayed_collisions`` for each whose laps differ; ``skipped`` the
    submissions this simulator cannot replay (no seed, another simulator version) with the
    reason; ``failed`` those that could not be driven (a frozen copy missing or altered).
    """
    r = get_race(db, race)
    subs = list(db.query("SELECT s.id, s.model, s.frozen_hash, s.seed, s.sim_version, a.alias AS racer "
                         "FROM submissions s JOIN racers a ON a.id = s.racer_id WHERE s.race_id = ? ORDER BY s.id",
                         [r.id]))
    recorded: dict[int, list[tuple]] = {s["id"]: [] for s in subs}
    for sub_id, time_ms, hits in db.execute(
            "SELECT l.submission_id, l.time_ms, l.collisions FROM laps l JOIN submissions s ON s.id = "
            "l.submission_id WHERE s.race_id = ? ORDER BY l.submission_id, l.lap", [r.id]):
        recorded[sub_id].append((time_ms, hits))
    out: dict = {"race": r.name, "checked": 0, "identical": 0, "different": [], "skipped": [], "failed": []}
    drives, racer_of = [], {s["id"]: s["racer"] for s in subs}
    for s in subs:
        why = _cannot_replay(s)
        if why:
            out["skipped"].append({"submission": s["id"], "racer": s["racer"], "reason": why})
        else:
            drives.append(Drive(s["id"], s["frozen_hash"], s["model"], int(s["seed"])))
    for drive, laps, error in drive_all(drives, load_track(r.track), r.rules, ray=ray, address=address,
                                        num_cpus=num_cpus):
        if error is not None:
            out["failed"].append({"submission": drive.key, "racer": racer_of[drive.key], "error": error})
            continue
        out["checked"] += 1
        replayed = [(to_ms(lap.time_s) if lap.completed else None, int(lap.collisions)) for lap in laps]
        if replayed == recorded[drive.key]:
            out["identical"] += 1
            continue
        was = recorded[drive.key]
        out["different"].append({"submission": drive.key, "racer": racer_of[drive.key],
                                 "recorded_ms": [t for t, _ in was], "replayed_ms": [t for t, _ in replayed],
                                 "recorded_collisions": [h for _, h in was],
                                 "replayed_collisions": [h for _, h in replayed]})
    return out


def _cannot_replay(sub: dict) -> str | None:
    if sub["seed"] is None:
        return "recorded without a noise seed (before simulator version 2)"
    if sub["sim_version"] != SIM_VERSION:
        return f"driven by simulator version {sub['sim_version']}, this is version {SIM_VERSION}"
    return None
