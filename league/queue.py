"""Queued league submissions: frozen at once, evaluated later (``league.queue_eval``).

A big virtual league takes its submissions faster than one core can drive them. A queued
submission is frozen (:mod:`league.freeze`) and given its noise seed when it is made, and
waits in the ``league_queue`` table (migration ``league-008-queue``) until the organiser
evaluates the race's queue. The queue is a table of its own, not a ``pending`` state of
``submissions``: every reader of ``submissions`` (standings, exports, printouts, coaching)
relies on each row being evaluated, and stays right without knowing the queue exists.

An entry is ``pending`` until it is evaluated; then ``done`` (``submission_id`` names the
submission it became) or ``failed`` (``error`` says why). :func:`record_queued` flips the
entry and writes the submission in one transaction, so a killed evaluation leaves every
entry either recorded or still pending, and evaluating the queue again is always safe.

Rules at queue time are those of a direct submission (the race is open, the racer has
submissions left), with pending entries counted against the limit. The submission is
recorded as made when it was queued (``submitted_at``): a race whose window closes while
its queue waits still takes the entries queued in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from trainer.driving import with_seed

from .db import LeagueError, now_iso, writing
from .freeze import FrozenModel, freeze
from .race_setup import Race, get_race, iso_utc
from .racers import Racer, get_racer


@dataclass(frozen=True)
class QueuedSubmission:
    """One entry of a race's queue."""

    id: int
    race_id: int
    racer: str
    """The racer's alias."""
    frozen: FrozenModel
    """The frozen copy the laps will be driven with."""
    seed: int
    """The noise seed its laps are driven with (:mod:`sim.noise`), drawn when it was queued."""
    queued_at: str
    """ISO 8601 UTC; recorded as the submission's ``submitted_at``."""
    state: str
    """``pending``, ``done`` or ``failed``."""
    submission_id: int | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"queue_id": self.id, "racer": self.racer, "model": self.frozen.model,
                "checkpoint": self.frozen.checkpoint, "iteration": self.frozen.iteration,
                "frozen_hash": self.frozen.hash, "seed": self.seed, "queued_at": self.queued_at,
                "state": self.state, "submission": self.submission_id, "error": self.error}


def queue_submission(db: sqlite_utils.Database, race: str | Race, racer: str, model, checkpoint=None, *,
                     models=None, now: datetime | None = None) -> QueuedSubmission:
    """Freeze ``model`` and queue it for ``race`` with a fresh noise seed; nothing is driven yet.

    ``model``, ``checkpoint``, ``models``: as :func:`league.races.submit`. Refuses (writing
    nothing) a race that is not open or a racer whose submissions, pending ones included,
    have reached the race's limit.
    """
    r, who = get_race(db, race), get_racer(db, racer)
    _check_queue_open(db, r, who, now)  # refuse before copying anything; checked again inside the write
    frozen = freeze(model, checkpoint, models=models)
    seed = int(with_seed(r.rules).seed)
    with writing(db):
        _check_queue_open(db, r, who, now)
        cur = db.execute("INSERT INTO league_queue (race_id, racer_id, model, checkpoint, iteration, frozen_hash, "
                         "seed, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [r.id, who.id, frozen.model, str(frozen.checkpoint), frozen.iteration, frozen.hash, seed,
                          iso_utc(now) if now else now_iso()])
    return get_queued(db, cur.lastrowid)


def list_queue(db: sqlite_utils.Database, race: str | Race, state: str | None = None) -> list[QueuedSubmission]:
    """The race's queue entries in the order they were queued (``state``: only those in that state)."""
    r = get_race(db, race)
    where, args = ("AND q.state = ?", [r.id, state]) if state else ("", [r.id])
    rows = db.execute(f"{_SELECT} WHERE q.race_id = ? {where} ORDER BY q.id", args).fetchall()
    return [_entry(row) for row in rows]


def get_queued(db: sqlite_utils.Database, entry_id: int) -> QueuedSubmission:
    row = db.execute(f"{_SELECT} WHERE q.id = ?", [entry_id]).fetchone()
    if row is None:
        raise LeagueError(f"no queued submission {entry_id}")
    return _entry(row)


def record_queued(db: sqlite_utils.Database, race: Race, entry: QueuedSubmission, laps) -> int | None:
    """Write the evaluated ``entry`` as a submission (``league.races.record_submission``) and mark
    it done, in one transaction; returns the submission id, or None when the entry was no longer
    pending (another evaluation of the queue recorded it first)."""
    from .races import record_submission

    with writing(db):
        # Flipped first: the race's limit counts pending entries, and this one is about to count as a submission.
        done = db.execute("UPDATE league_queue SET state = 'done' WHERE id = ? AND state = 'pending'", [entry.id])
        if done.rowcount == 0:
            return None
        sub_id = record_submission(db, race, entry.racer, entry.frozen, laps,
                                   now=datetime.fromisoformat(entry.queued_at))
        db.execute("UPDATE league_queue SET submission_id = ? WHERE id = ?", [sub_id, entry.id])
    return sub_id


def mark_failed(db: sqlite_utils.Database, entry: QueuedSubmission, error: str) -> None:
    """Mark a pending ``entry`` failed, keeping the reason (one line)."""
    with writing(db):
        db.execute("UPDATE league_queue SET state = 'failed', error = ? WHERE id = ? AND state = 'pending'",
                   [" ".join(str(error).split())[:500], entry.id])


_SELECT = ("SELECT q.id, q.race_id, r.alias, q.model, q.checkpoint, q.iteration, q.frozen_hash, q.seed, q.queued_at, "
           "q.state, q.submission_id, q.error FROM league_queue q JOIN racers r ON r.id = q.racer_id")


def _entry(row) -> QueuedSubmission:
    qid, race_id, alias, model, ckpt, it, digest, seed, at, state, sub, err = row
    return QueuedSubmission(qid, race_id, alias, FrozenModel(digest, model, ckpt, it), seed, at, state, sub, err)


def _check_queue_open(db: sqlite_utils.Database, race: Race, racer: Racer, now: datetime | None) -> None:
    why = race.closed_reason(now)
    if why:
        raise LeagueError(f"{why}: it accepts no submissions")
    if race.max_submissions is not None:
        n = db.execute("SELECT (SELECT COUNT(*) FROM submissions WHERE race_id = ?1 AND racer_id = ?2) + "
                       "(SELECT COUNT(*) FROM league_queue WHERE race_id = ?1 AND racer_id = ?2 AND state = 'pending')",
                       [race.id, racer.id]).fetchone()[0]
        if n >= race.max_submissions:
            raise LeagueError(f"racer {racer.alias!r} has used all {race.max_submissions} submissions "
                              f"to race {race.name!r} (queued ones included)")
