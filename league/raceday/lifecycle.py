"""One racer's race-day session from start to record: the use case both front-ends share.

``trackside raceday run`` and the app's session console take the same steps, through
these functions only:

1. :func:`start_session`: the racer goes on track. Their queue entry (if they queued)
   moves ``queued`` -> ``running``, so every screen shows them as racing, not waiting.
2. The session is timed: by :func:`league.raceday.simulated.run_simulated_session` (a
   model) or by a timekeeper (a physical car), on a :class:`league.timing.SessionTimer`.
3. :func:`submit_session` records it with its laps (the entry becomes ``done``), or
   :func:`discard_session` records it as discarded (the entry goes back to ``queued``,
   at its place in the queue).

:func:`run_model_session` is steps 1-3 for a simulated session in one call (the CLI);
the app runs step 2 on a worker thread and calls steps 1 and 3 from its buttons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from ..db import LeagueError, now_iso
from ..timing import DISCARDED, SessionTimer
from .entries import check_runs_left, find_entry, get_entry, league_display_name, record_session, start_entry
from .events import RaceDayEvent, get_event


@dataclass
class ActiveSession:
    """The session on track: who races, how, and the queue entry it belongs to."""

    event: RaceDayEvent
    racer: str
    display_name: str
    driver: str
    """``model`` (simulated) or ``car`` (a physical car timed by hand)."""
    model: str | None
    checkpoint: str | None
    entry_id: int | None
    """The racer's queue entry; None for a walk-up racer who never queued."""
    started: str
    """When the session started, ISO 8601 UTC."""
    track: str = ""
    """The track it runs on, one of the event's (empty: the event's first)."""

    def __post_init__(self):
        self.track = self.event.check_track(self.track or None)


def start_session(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str | None = None, *,
                  entry_id: int | None = None, model: str | None = None,
                  checkpoint: str | int | None = None, track: str | None = None) -> ActiveSession:
    """Put ``racer`` (or queue entry ``entry_id``) on track: a queued entry becomes ``running``.

    ``model``/``checkpoint`` override the entry's (a model given for a racer queued with a
    car makes the session simulated). A racer who is not queued races as a walk-up with
    ``model`` (default ``standard``). ``track``: one of the event's tracks (default: the
    entry's, else the event's first).
    """
    ev = get_event(db, event)
    entry = get_entry(db, entry_id) if entry_id is not None else find_entry(db, ev, (racer or "").strip())
    if entry is not None:
        if entry["event_id"] != ev.id:
            raise LeagueError(f"queue entry {entry['id']} belongs to another event")
        if entry["state"] == "running":
            raise LeagueError(f"{entry['racer']!r} is already on track at {ev.name!r}: submit or discard that "
                              "session first")
        if track is not None and ev.check_track(track) != ev.check_track(entry["track"]):
            raise LeagueError(f"{entry['racer']!r} is queued for {ev.check_track(entry['track'])}, not {track}: "
                              "queue them again for that track")
        entry = start_entry(db, entry["id"])
        driver = "model" if model is not None else entry["driver"]
        model = model if model is not None else entry["model"]
        checkpoint = checkpoint if checkpoint is not None else entry["checkpoint"]
        return ActiveSession(ev, entry["racer"], entry["display_name"], driver, model,
                             None if checkpoint is None else str(checkpoint), entry["id"], now_iso(),
                             entry["track"] or "")
    racer = (racer or "").strip()
    if not racer:
        raise LeagueError("a session needs a racer: give an alias or a queue entry")
    track = ev.check_track(track)
    check_runs_left(db, ev, racer, track)
    name = league_display_name(db, racer) or racer
    model = model or "standard"
    return ActiveSession(ev, racer, name, "model", model, None if checkpoint is None else str(checkpoint), None,
                         now_iso(), track)


def submit_session(db: sqlite_utils.Database, active: ActiveSession, timer: SessionTimer) -> int:
    """Record the ended (or DNF) session with its laps; the queue entry becomes ``done``. Returns its id."""
    return _record(db, active, timer)


def discard_session(db: sqlite_utils.Database, active: ActiveSession, timer: SessionTimer | None = None) -> int:
    """Record the session as discarded (kept for the audit trail, never counted); the racer's
    entry goes back to ``queued``. ``timer``: the session's, or None when it never ran."""
    timer = timer if timer is not None else active.event.new_timer()
    if timer.state != DISCARDED:
        timer.discard()
    return _record(db, active, timer)


def _record(db: sqlite_utils.Database, active: ActiveSession, timer: SessionTimer) -> int:
    return record_session(db, active.event, timer, racer=active.racer, display_name=active.display_name,
                          entry_id=active.entry_id, driver=active.driver, model=active.model,
                          checkpoint=active.checkpoint, started=active.started, track=active.track)


def run_model_session(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str, *,
                      model: str | None = None, checkpoint: str | int | None = None, speed: float = 1.0,
                      on_start: Callable[[ActiveSession], None] | None = None,
                      on_update: Callable[[dict], None] | None = None,
                      models=None, seed: int | None = None,
                      track: str | None = None) -> tuple[int, SessionTimer, ActiveSession]:
    """Start, drive (simulated, ``speed`` x real time; 0: as fast as possible) and submit a
    session for ``racer``. Anything that stops it half-way (an error, Ctrl+C) discards it,
    so the racer is back in the queue. Returns ``(session id, timer, session)``.

    ``models``: where model names are looked up (a ``trainer.model_store.ModelStore``;
    default: the store of ``TRACKSIDE_HOME``). ``seed``: the noise seed (None: a fresh one),
    recorded with the session (``timer.seed``, ``raceday_sessions.seed``). ``track``: one of the
    event's tracks (default: the racer's queued one, else the event's first).
    """
    ev = get_event(db, event)
    entry = find_entry(db, ev, racer)
    if entry is not None and entry["driver"] == "car" and model is None:
        raise LeagueError(f"{racer!r} is queued with a physical car: time it in the desktop app, or give a model")
    if speed < 0 or math.isnan(speed):
        raise LeagueError(f"speed: expected 0 or a positive number, got {speed}")
    active = start_session(db, ev, racer, model=model, checkpoint=checkpoint, track=track)
    if on_start is not None:
        on_start(active)
    from .simulated import run_simulated_session

    try:
        driven = models.get(active.model) if models is not None else active.model
        timer = run_simulated_session(ev.on_track(active.track), active.racer, driven, active.checkpoint,
                                      speed=speed or math.inf, on_update=on_update, seed=seed)
    except BaseException:
        discard_session(db, active)
        raise
    return submit_session(db, active, timer), timer, active
