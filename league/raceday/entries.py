"""Race day's queue of racers and their recorded sessions (``raceday_queue``, ``raceday_sessions``).

Racers queue; each session is driven by a
model in the simulator (``league.raceday.simulated``; the ``standard`` model for racers who
bring none) or by a physical car timed by hand, both through
:class:`league.timing.SessionTimer`. A session is written with its laps in one
transaction; lap times are stored as integer milliseconds (``league.laptime.to_ms``).

An entry is ``queued`` until its session starts (``running``), then ``done`` once the
session is recorded, or ``queued`` again when it was discarded; a no-show is ``skipped``.
Only ``submitted`` and ``dnf``
sessions count (a DNF keeps the laps captured before the racer retired); discarded
sessions are kept for the audit trail only.

Runs cap (``RaceDayEvent.max_runs``): a run is a counted session; a racer who has used
their runs cannot queue or start again (:func:`check_runs_left`). A discarded session gives
the run back, as it never counted. On a multi-track event the cap counts per track (each
track gives every racer the same runs, so a combined board can be complete).

Tracks: a queue entry may name the track it runs on (``track``; None: the event's first),
and a session records the track it ran on (``raceday_sessions.track``).
"""

from __future__ import annotations

import json
from dataclasses import asdict

import sqlite_utils

from ..db import LeagueError, now_iso, writing
from ..laptime import best_consecutive_ms, best_lap_ms, to_ms
from ..timing import DISCARDED, DNF, ENDED, SessionTimer
from .events import ALIAS_RULE, RaceDayEvent, get_event


# -- the queue --------------------------------------------------------------------------------------
def add_to_queue(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str, *,
                 display_name: str | None = None,
                 model: str | None = None, car: bool = False, checkpoint: str | int | None = None,
                 track: str | None = None) -> dict:
    """Queue ``racer`` (an alias) at the back. ``car``: a physical car timed by hand;
    otherwise a model drives (``model``, default the ``standard`` model). ``track``: one of the
    event's tracks (None: its first). Returns the entry."""
    ev = get_event(db, event)
    run_on = ev.check_track(track)
    racer = (racer or "").strip()
    if not ALIAS_RULE.match(racer):
        raise LeagueError("racer: expected an alias of 1-64 printable characters")
    if car and model is not None:
        raise LeagueError("a physical car is timed by hand: give a model or --car, not both")
    if not car:
        model = model or "standard"
        checkpoint = _check_model(model, checkpoint)
    display = (display_name or "").strip() or league_display_name(db, racer) or racer
    with writing(db):
        check_runs_left(db, ev, racer, run_on)
        busy = db.execute("SELECT state FROM raceday_queue WHERE event_id = ? AND racer = ? AND state IN "
                          "('queued', 'running')", [ev.id, racer]).fetchone()
        if busy:
            raise LeagueError(f"racer {racer!r} is already {busy[0]} at {ev.name!r}")
        pos = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM raceday_queue WHERE event_id = ?",
                         [ev.id]).fetchone()[0]
        cur = db.conn.execute(
            "INSERT INTO raceday_queue (event_id, racer, display_name, position, driver, model, checkpoint, state,"
            " added, track) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
            [ev.id, racer, display, pos, "car" if car else "model", None if car else model,
             None if checkpoint is None else str(checkpoint), now_iso(), track and run_on])
        entry_id = cur.lastrowid
    return get_entry(db, entry_id)


def get_entry(db: sqlite_utils.Database, entry_id: int) -> dict:
    rows = list(db.query("SELECT * FROM raceday_queue WHERE id = ?", [entry_id]))
    if not rows:
        raise LeagueError(f"no queue entry {entry_id}")
    return rows[0]


def queue(db: sqlite_utils.Database, event: str | int | RaceDayEvent, *, everyone: bool = False) -> list[dict]:
    """Entries waiting, in running order (``everyone``: also running, done and skipped ones)."""
    ev = get_event(db, event)
    where = "" if everyone else " AND state = 'queued'"
    return list(db.query(f"SELECT * FROM raceday_queue WHERE event_id = ?{where} ORDER BY position", [ev.id]))


def next_in_queue(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> dict | None:
    """The racer whose turn is next, or None when nobody waits."""
    waiting = queue(db, event)
    return waiting[0] if waiting else None


def find_entry(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str) -> dict | None:
    """``racer``'s waiting (queued or running) entry at the event, or None."""
    ev = get_event(db, event)
    rows = list(db.query("SELECT * FROM raceday_queue WHERE event_id = ? AND racer = ? AND state IN "
                         "('queued', 'running') ORDER BY position LIMIT 1", [ev.id, racer]))
    return rows[0] if rows else None


def reorder(db: sqlite_utils.Database, entry_id: int, position: int) -> list[dict]:
    """Move a waiting entry to ``position`` (1 = next) among those waiting; returns the new queue."""
    entry = _waiting(db, entry_id, "reorder")
    with writing(db):
        ids = [r[0] for r in db.execute("SELECT id FROM raceday_queue WHERE event_id = ? AND state = 'queued' "
                                        "ORDER BY position", [entry["event_id"]])]
        if not 1 <= position <= len(ids):
            raise LeagueError(f"position: expected 1..{len(ids)}, got {position}")
        ids.remove(entry_id)
        ids.insert(position - 1, entry_id)
        # Waiting entries go after everyone who has raced, in the new order.
        first = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM raceday_queue WHERE event_id = ? AND state "
                           "!= 'queued'", [entry["event_id"]]).fetchone()[0]
        for k, i in enumerate(ids):
            db.conn.execute("UPDATE raceday_queue SET position = ? WHERE id = ?", [first + k, i])
    return queue(db, entry["event_id"])


def remove(db: sqlite_utils.Database, entry_id: int) -> None:
    """Take a waiting racer out of the queue (a racer who has raced keeps their record)."""
    _waiting(db, entry_id, "remove")
    with writing(db):
        db.conn.execute("DELETE FROM raceday_queue WHERE id = ? AND state = 'queued'", [entry_id])


def skip(db: sqlite_utils.Database, entry_id: int) -> None:
    """Mark a waiting racer as skipped (a no-show), kept in the history."""
    _waiting(db, entry_id, "skip")
    with writing(db):
        db.conn.execute("UPDATE raceday_queue SET state = 'skipped' WHERE id = ?", [entry_id])


def start_entry(db: sqlite_utils.Database, entry_id: int) -> dict:
    """The entry's session begins: ``queued`` -> ``running`` (refused when the racer has used their runs)."""
    entry = _waiting(db, entry_id, "start")
    with writing(db):
        check_runs_left(db, entry["event_id"], entry["racer"], entry["track"])
        db.conn.execute("UPDATE raceday_queue SET state = 'running' WHERE id = ?", [entry_id])
    return get_entry(db, entry_id)


def runs_used(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str, track: str | None = None) -> int:
    """``racer``'s counted sessions (submitted or DNF) at the event on ``track`` (None: the first; a
    one-track event: all of them)."""
    ev = get_event(db, event)
    return db.execute("SELECT COUNT(*) FROM raceday_sessions WHERE event_id = ? AND racer = ? AND track = ? AND "
                      "state IN ('submitted', 'dnf')", [ev.id, racer, ev.check_track(track)]).fetchone()[0]


def check_runs_left(db: sqlite_utils.Database, event: str | int | RaceDayEvent, racer: str,
                    track: str | None = None) -> None:
    """Refuse, in one line, a racer who has used every run the event allows (``max_runs``) on ``track``
    (None: the event's first)."""
    ev = get_event(db, event)
    if ev.max_runs is not None and runs_used(db, ev, racer, track) >= ev.max_runs:
        used = "their only run" if ev.max_runs == 1 else f"all {ev.max_runs} runs"
        where = f" on {ev.check_track(track)}" if ev.multi_track else ""
        raise LeagueError(f"racer {racer!r} has used {used} at {ev.name!r}{where}; "
                          "raise the cap with 'trackside raceday event edit --max-runs' to let them run again")


# -- sessions ---------------------------------------------------------------------------------------
def record_session(db: sqlite_utils.Database, event: str | int | RaceDayEvent, timer: SessionTimer, *,
                   racer: str | None = None, display_name: str | None = None, entry_id: int | None = None,
                   driver: str | None = None, model: str | None = None, checkpoint: str | None = None,
                   started: str | None = None, track: str | None = None) -> int:
    """Write an ended (or DNF, or discarded) session with its laps in one transaction.

    ``driver``: ``model`` or ``car`` (default: the entry's, else ``car``). ``track``: the track it
    ran on, one of the event's (default: the entry's, else the event's first). With ``entry_id``
    the racer and anything not given come from the queue entry, which becomes ``done``
    (or ``queued`` again when the session was discarded). On success an ended
    session is marked submitted on the timer. Returns the session id.
    """
    ev = get_event(db, event)
    if timer.state not in (ENDED, DNF, DISCARDED):
        raise LeagueError(f"only an ended session can be recorded (it is {timer.state}); end it first")
    if entry_id is not None:
        entry = get_entry(db, entry_id)
        if entry["event_id"] != ev.id:
            raise LeagueError(f"queue entry {entry_id} belongs to another event")
        racer, display_name = entry["racer"], display_name or entry["display_name"]
        driver, track = driver or entry["driver"], track or entry["track"]
        if driver == entry["driver"]:
            model, checkpoint = model or entry["model"], checkpoint or entry["checkpoint"]
    driver = driver or ("model" if model else "car")
    if driver not in ("model", "car") or (driver == "model") != (model is not None):
        raise LeagueError(f"driver: 'model' with a model name, or 'car' without one (got {driver!r}, {model!r})")
    racer = (racer or "").strip()
    if not ALIAS_RULE.match(racer):
        raise LeagueError("a session needs a racer (an alias of 1-64 printable characters)")
    display_name = (display_name or "").strip() or league_display_name(db, racer) or racer
    track = ev.check_track(track)
    state = {ENDED: "submitted", DNF: "dnf", DISCARDED: "discarded"}[timer.state]
    laps = [(lap.number, to_ms(lap.time_s), lap.resets, int(lap.valid), lap.auto_invalid, int(lap.override is not None),
             lap.collisions) for lap in timer.laps]
    best_lap, best_avg = session_bests([(lap[1], lap[3]) for lap in laps], ev.average_of)
    log = json.dumps([asdict(e) for e in timer.events])
    with writing(db):
        cur = db.conn.execute(
            "INSERT INTO raceday_sessions (event_id, queue_id, racer, display_name, driver, model, checkpoint,"
            " started, ended, state, end_reason, length_s, best_lap_ms, best_average_ms, laps, valid_laps, resets,"
            " timer_log, seed, track) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ev.id, entry_id, racer, display_name, driver, model, checkpoint, started, now_iso(), state,
             timer.end_reason, timer.length_s, best_lap, best_avg, len(laps), sum(lap[3] for lap in laps),
             sum(lap[2] for lap in laps) + timer.running_resets, log, getattr(timer, "seed", None), track])
        session_id = cur.lastrowid
        for lap in laps:
            db.conn.execute("INSERT INTO raceday_laps (session_id, lap, time_ms, resets, valid, auto_invalid,"
                            " overridden, collisions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (session_id, *lap))
        if entry_id is not None:
            db.conn.execute("UPDATE raceday_queue SET state = ? WHERE id = ?",
                            ["queued" if state == "discarded" else "done", entry_id])
    if timer.state in (ENDED, DNF):
        timer.submit()
    return session_id


def set_lap_valid(db: sqlite_utils.Database, session_id: int, lap: int, valid: bool) -> None:
    """Change a recorded lap's validity (a protest upheld) and the session's results with it."""
    with writing(db):
        row = db.execute("SELECT 1 FROM raceday_laps WHERE session_id = ? AND lap = ?", [session_id, lap]).fetchone()
        if row is None:
            raise LeagueError(f"session {session_id} has no lap {lap}")
        db.conn.execute("UPDATE raceday_laps SET valid = ?, overridden = 1 WHERE session_id = ? AND lap = ?",
                        [int(bool(valid)), session_id, lap])
        refresh_session_results(db, session_id)


def refresh_session_results(db: sqlite_utils.Database, session_id: int) -> None:
    """Recompute a session's result columns (best lap, best average, laps, valid laps) from its laps
    after a correction; call it inside the correction's ``writing(db)`` transaction. A lap counts
    at ``time_ms + penalty_ms`` (a time penalty added by a marshal). ``resets`` is not recomputed
    (it also holds the resets of a last lap that never finished): a correction of a lap's resets
    changes the session's by the same difference."""
    event_id = db.execute("SELECT event_id FROM raceday_sessions WHERE id = ?", [session_id]).fetchone()
    if event_id is None:
        raise LeagueError(f"no race-day session {session_id}")
    laps = db.execute("SELECT time_ms + penalty_ms, valid, resets FROM raceday_laps WHERE session_id = ? ORDER BY lap",
                      [session_id]).fetchall()
    best_lap, best_avg = session_bests([(t, v) for t, v, _ in laps], get_event(db, event_id[0]).average_of)
    db.conn.execute("UPDATE raceday_sessions SET best_lap_ms = ?, best_average_ms = ?, laps = ?, valid_laps = ?"
                    " WHERE id = ?", [best_lap, best_avg, len(laps), sum(v for _, v, _ in laps), session_id])


def sessions(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    ev = get_event(db, event)
    return list(db.query("SELECT * FROM raceday_sessions WHERE event_id = ? ORDER BY id", [ev.id]))


def session_bests(laps: list[tuple[int, int]], n: int) -> tuple[int | None, int | None]:
    """Best valid lap and best mean of ``n`` consecutive valid laps, ms, from ``(time_ms, valid)`` in order."""
    ms = [t if v else None for t, v in laps]
    return best_lap_ms(ms), best_consecutive_ms(ms, n)


# -- helpers ------------------------------------------------------------------------------------------
def _waiting(db: sqlite_utils.Database, entry_id: int, action: str) -> dict:
    entry = get_entry(db, entry_id)
    if entry["state"] != "queued":
        raise LeagueError(f"cannot {action} {entry['racer']!r}: their entry is {entry['state']}, not queued")
    return entry


def _check_model(model: str, checkpoint) -> str | None:
    from trainer.policy import PolicyError, resolve_checkpoint

    try:
        resolve_checkpoint(model, checkpoint)
    except PolicyError as exc:
        hint = "; bring a model (--model M) or time a physical car (--car)" if model == "standard" else ""
        raise LeagueError(f"{exc}{hint}") from None
    return None if checkpoint is None else str(checkpoint)


def league_display_name(db: sqlite_utils.Database, alias: str) -> str | None:
    """The league's display name for ``alias`` when the league has a racers table that knows it."""
    if "racers" not in db.table_names():
        return None
    cols = {c.name for c in db["racers"].columns}
    if not {"alias", "display_name"} <= cols:
        return None
    row = db.execute("SELECT display_name FROM racers WHERE alias = ?", [alias]).fetchone()
    return row[0] if row and row[0] else None
