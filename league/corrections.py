"""Race-day corrections after the fact: a lap's time, resets, validity and penalty; a session deleted
or given to another racer. One function per correction, shared by ``trackside raceday lap edit`` /
``session delete|reassign`` and the app's Results page.

Each correction is one transaction (``with writing(db):``) that changes the rows, writes its audit
entry (:func:`league.audit.record_change`, before and after as the row's fields) and recomputes the
session's result columns (:func:`league.raceday.entries.refresh_session_results`), so the leaderboard
and the exports, which read those rows, show the corrected values at once.

The rules a correction keeps:

- a lap's time is a positive time in seconds (stored in ms, :func:`league.laptime.to_ms`); a time
  penalty is 0..600 s, stored as ``penalty_ms`` and counted on top of the time;
- a lap's resets are 0 or more; the session's ``resets`` changes by the same difference (it also
  holds the resets of a last lap that never finished, so it is not recomputed from the laps). Unless
  a marshal has given the lap a verdict, its validity follows the event's resets limit again, as the
  timer decides it (``league.timing``); its collisions are never more than its resets;
- ``valid``: a marshal's verdict (``overridden`` = 1), which the rules never change afterwards;
- a session is deleted with its laps (the foreign key cascades); its queue entry stays ``done``;
- a session given to another racer takes that racer's alias and display name (the league's display
  name for the alias when the league knows it, else the name given, else the alias).

Audit entries of race-day rows carry ``event_id`` in ``before``/``after``, so :func:`event_audit`
finds an event's corrections even after the session they touched is gone.
"""

from __future__ import annotations

import math

import sqlite_utils

from .audit import audit_entries, record_change
from .db import LeagueError, writing
from .laptime import to_ms
from .raceday.entries import league_display_name, refresh_session_results
from .raceday.events import ALIAS_RULE, RaceDayEvent, get_event

LAP_TIME_RANGE_S = (0.001, 3600.0)
"""A corrected lap time, s: above 0, at most an hour."""
PENALTY_RANGE_S = (0.0, 600.0)
"""A lap's time penalty, s."""
SESSION_FIELDS = ("id", "event_id", "racer", "display_name", "driver", "model", "state", "ended", "best_lap_ms",
                  "best_average_ms", "laps", "valid_laps", "resets")
LAP_FIELDS = ("time_ms", "penalty_ms", "resets", "collisions", "valid", "auto_invalid", "overridden")


# -- reading ----------------------------------------------------------------------------------------
def get_session(db: sqlite_utils.Database, session_id: int, event: str | int | RaceDayEvent | None = None) -> dict:
    """The session's row; with ``event``, refused unless the session belongs to it."""
    rows = list(db.query("SELECT * FROM raceday_sessions WHERE id = ?", [int(session_id)]))
    ev = get_event(db, event) if event is not None else None
    if not rows or (ev is not None and rows[0]["event_id"] != ev.id):
        where = f" at event {ev.name!r}" if ev is not None else ""
        raise LeagueError(f"--session: no race-day session {session_id}{where}; "
                          "the session numbers are in the laps export (trackside raceday export EVENT)")
    return rows[0]


def session_laps(db: sqlite_utils.Database, session_id: int) -> list[dict]:
    """The session's laps in order: ``lap`` and :data:`LAP_FIELDS`, plus ``counted_ms`` (time + penalty)."""
    return list(db.query("SELECT lap, " + ", ".join(LAP_FIELDS) + ", time_ms + penalty_ms AS counted_ms "
                         "FROM raceday_laps WHERE session_id = ? ORDER BY lap", [int(session_id)]))


def event_audit(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> list[dict]:
    """The audit entries of an event (its own, its sessions' and their laps'), newest first."""
    ev = get_event(db, event)

    def mine(e: dict) -> bool:
        if e["entity"] == "raceday_event":
            return e["entity_id"] == str(ev.id)
        return any((side or {}).get("event_id") == ev.id for side in (e["before"], e["after"]))

    return [e for e in audit_entries(db) if mine(e)]


def change_lines(entry: dict) -> list[str]:
    """An audit entry's changes in words, one per field that changed: ``time: 11.871 -> 11.917 s``
    (ms fields in seconds, flags as yes/no); a deletion: ``deleted`` with the row's racer or name."""
    before, after = entry["before"], entry["after"]
    if after is None:
        who = (before or {}).get("racer") or (before or {}).get("name") or (before or {}).get("alias")
        return ["deleted" + (f" ({who})" if who else "")]
    if before is None:
        return ["created"]
    return [_change(k, before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)]


def _change(key: str, old, new) -> str:
    if key.endswith("_ms"):
        return f"{key[:-3].replace('_', ' ')}: {_secs(old)} -> {_secs(new)} s"
    if key in ("valid", "overridden"):
        return f"{key}: {'yes' if old else 'no'} -> {'yes' if new else 'no'}"
    return f"{key.replace('_', ' ')}: {'-' if old is None else old} -> {'-' if new is None else new}"


def _secs(ms) -> str:
    return "-" if ms is None else f"{ms / 1000:.3f}"


# -- laps ---------------------------------------------------------------------------------------------
def edit_lap(db: sqlite_utils.Database, session_id: int, lap: int, who: str, *, time_s: float | None = None,
             resets: int | None = None, valid: bool | None = None, penalty_s: float | None = None,
             reason: str | None = None, event: str | int | RaceDayEvent | None = None) -> dict:
    """Correct lap ``lap`` of a session (only what is given changes); returns the lap as it now is.

    ``event``: refuse a session of another event. Refuses a correction that changes nothing."""
    time_ms = None if time_s is None else to_ms(_seconds(time_s, "--time", LAP_TIME_RANGE_S))
    penalty_ms = None if penalty_s is None else to_ms(_seconds(penalty_s, "--penalty", PENALTY_RANGE_S))
    if resets is not None and (isinstance(resets, bool) or not isinstance(resets, int) or resets < 0):
        raise LeagueError(f"--resets: expected a whole number, 0 or more, got {resets!r}")
    if all(v is None for v in (time_ms, resets, valid, penalty_ms)):
        raise LeagueError("nothing to change: give --time, --resets, --valid/--invalid or --penalty")
    with writing(db):
        session = get_session(db, session_id, event)
        before = _lap(db, session, lap)
        after = dict(before)
        if time_ms is not None:
            after["time_ms"] = time_ms
        if penalty_ms is not None:
            after["penalty_ms"] = penalty_ms
        if resets is not None:
            limit = get_event(db, session["event_id"]).resets_limit
            after.update(resets=resets, collisions=min(before["collisions"], resets),
                         auto_invalid=f"{resets} resets (limit {limit})" if limit is not None and resets > limit
                         else None)
            if not before["overridden"]:
                after["valid"] = int(after["auto_invalid"] is None)
        if valid is not None:
            after.update(valid=int(bool(valid)), overridden=1)
        if after == before:
            raise LeagueError(f"lap {lap} of session {session['id']} already has these values: nothing to change")
        db.conn.execute("UPDATE raceday_laps SET " + ", ".join(f"{k} = ?" for k in LAP_FIELDS)
                        + " WHERE session_id = ? AND lap = ?", [after[k] for k in LAP_FIELDS] + [session["id"], lap])
        db.conn.execute("UPDATE raceday_sessions SET resets = MAX(0, resets + ?) WHERE id = ?",
                        [after["resets"] - before["resets"], session["id"]])
        record_change(db, who, "lap edit", "raceday_lap", f"{session['id']}/{lap}", before=before, after=after,
                      reason=reason)
        refresh_session_results(db, session["id"])
    return after


def _lap(db: sqlite_utils.Database, session: dict, lap: int) -> dict:
    row = db.execute("SELECT " + ", ".join(LAP_FIELDS) + " FROM raceday_laps WHERE session_id = ? AND lap = ?",
                     [session["id"], lap]).fetchone()
    if row is None:
        raise LeagueError(f"--lap: session {session['id']} has no lap {lap} (it has {session['laps']})")
    return {"event_id": session["event_id"], "session": session["id"], "lap": lap, **dict(zip(LAP_FIELDS, row))}


def _seconds(value, option: str, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    try:
        s = float(value)
    except (TypeError, ValueError):
        raise LeagueError(f"{option}: expected seconds, e.g. 12.345, got {value!r}") from None
    if not (math.isfinite(s) and lo <= s <= hi):
        raise LeagueError(f"{option}: expected {lo:g}..{hi:g} s, got {value!r}")
    return s


# -- sessions -----------------------------------------------------------------------------------------
def delete_session(db: sqlite_utils.Database, session_id: int, who: str, *, reason: str | None = None,
                   event: str | int | RaceDayEvent | None = None) -> dict:
    """Delete a recorded session with its laps; returns the session as it was (with its ``lap_rows``)."""
    with writing(db):
        session = get_session(db, session_id, event)
        before = {**_fields(session), "lap_rows": session_laps(db, session["id"])}
        db.conn.execute("DELETE FROM raceday_sessions WHERE id = ?", [session["id"]])
        record_change(db, who, "session delete", "raceday_session", session["id"], before=before, reason=reason)
    return before


def reassign_session(db: sqlite_utils.Database, session_id: int, racer: str, who: str, *,
                     display_name: str | None = None, reason: str | None = None,
                     event: str | int | RaceDayEvent | None = None) -> dict:
    """Give a session to another racer (an alias); returns the session as it now is."""
    racer = (racer or "").strip()
    if not ALIAS_RULE.match(racer):
        raise LeagueError("--racer: expected an alias of 1-64 printable characters")
    with writing(db):
        session = get_session(db, session_id, event)
        if session["racer"] == racer:
            raise LeagueError(f"session {session['id']} is already {racer!r}'s: nothing to change")
        name = league_display_name(db, racer) or (display_name or "").strip() or racer
        db.conn.execute("UPDATE raceday_sessions SET racer = ?, display_name = ? WHERE id = ?",
                        [racer, name, session["id"]])
        after = {**_fields(session), "racer": racer, "display_name": name}
        record_change(db, who, "session reassign", "raceday_session", session["id"], before=_fields(session),
                      after=after, reason=reason)
    return after


def _fields(session: dict) -> dict:
    return {k: session[k] for k in SESSION_FIELDS}
