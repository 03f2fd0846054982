"""Deleting what holds results: a race-day event, a league race, one submission. Each is audited
(:func:`league.audit.record_change` in the delete's own transaction) and refuses, with the count
of what would go, to delete results the user did not ask to delete:

- an event with recorded sessions is deleted only with ``cascade`` (its queue, sessions and laps
  go with it: the foreign keys cascade); an event with only a queue needs no ``cascade``;
- a race with submissions is deleted only with ``cascade`` (the submissions and their laps go);
  the frozen model copies stay in ``TRACKSIDE_HOME/league/frozen`` (other races may share them);
- a submission goes with its laps; the racer's standing falls back to their next best one
  (standings are computed from the submissions, so every board follows at once).

Audit entries of a race's rows carry ``race_id`` (:func:`race_audit` finds them).
"""

from __future__ import annotations

from dataclasses import asdict

import sqlite_utils

from .audit import audit_entries, record_change
from .db import LeagueError, writing
from .race_setup import Race, get_race
from .raceday.events import RaceDayEvent, get_event


def delete_event(db: sqlite_utils.Database, event: str | int | RaceDayEvent, who: str, *, cascade: bool = False,
                 reason: str | None = None) -> dict:
    """Delete a race-day event; returns what went: ``{"sessions": n, "laps": n, "queue": n}``."""
    ev = get_event(db, event)
    with writing(db):
        gone = {
            "sessions": db.execute("SELECT COUNT(*) FROM raceday_sessions WHERE event_id = ?", [ev.id]).fetchone()[0],
            "laps": db.execute("SELECT COUNT(*) FROM raceday_laps l JOIN raceday_sessions s ON s.id = l.session_id "
                               "WHERE s.event_id = ?", [ev.id]).fetchone()[0],
            "queue": db.execute("SELECT COUNT(*) FROM raceday_queue WHERE event_id = ?", [ev.id]).fetchone()[0]}
        if gone["sessions"] and not cascade:
            raise LeagueError(f"event {ev.name!r} has {gone['sessions']} recorded session(s) with {gone['laps']} "
                              "lap(s); delete them with the event: --cascade")
        db.conn.execute("DELETE FROM raceday_events WHERE id = ?", [ev.id])
        record_change(db, who, "event delete", "raceday_event", ev.id, before={**ev.as_dict(), "event_id": ev.id,
                                                                               **gone}, reason=reason)
    return gone


def delete_race(db: sqlite_utils.Database, race: str | int | Race, who: str, *, cascade: bool = False,
                reason: str | None = None) -> list[dict]:
    """Delete a league race; returns the submissions that went (``id, racer, model, score_ms``)."""
    r = get_race(db, race)
    with writing(db):
        subs = list(db.query("SELECT s.id, racers.alias AS racer, s.model, s.score_ms FROM submissions s "
                             "JOIN racers ON racers.id = s.racer_id WHERE s.race_id = ? ORDER BY s.id", [r.id]))
        if subs and not cascade:
            raise LeagueError(f"race {r.name!r} has {len(subs)} submission(s) from "
                              f"{len({s['racer'] for s in subs})} racer(s); delete them with the race: --cascade")
        db.conn.execute("DELETE FROM submissions WHERE race_id = ?", [r.id])  # their laps cascade
        db.conn.execute("DELETE FROM races WHERE id = ?", [r.id])
        record_change(db, who, "race delete", "race", r.id, before={**asdict(r), "race_id": r.id, "submissions": subs},
                      reason=reason)
    return subs


def delete_submission(db: sqlite_utils.Database, submission: int, who: str, *, reason: str | None = None) -> dict:
    """Delete one submission with its laps; returns it as it was."""
    with writing(db):
        rows = list(db.query("SELECT s.id, s.race_id, races.name AS race, racers.alias AS racer, s.model, s.checkpoint,"
                             " s.submitted_at, s.score_ms, s.best_lap_ms, s.total_ms FROM submissions s"
                             " JOIN races ON races.id = s.race_id JOIN racers ON racers.id = s.racer_id"
                             " WHERE s.id = ?", [int(submission)]))
        if not rows:
            raise LeagueError(f"no submission {submission}; the numbers are in: trackside league standings RACE")
        db.conn.execute("DELETE FROM submissions WHERE id = ?", [rows[0]["id"]])
        record_change(db, who, "submission delete", "submission", rows[0]["id"], before=rows[0], reason=reason)
    return rows[0]


def race_audit(db: sqlite_utils.Database, race: str | int | Race) -> list[dict]:
    """The audit entries of a race (its own and its submissions'), newest first."""
    r = get_race(db, race)
    return [e for e in audit_entries(db) if (e["entity"] == "race" and e["entity_id"] == str(r.id))
            or any((side or {}).get("race_id") == r.id for side in (e["before"], e["after"]))]


def race_submissions(db: sqlite_utils.Database, race: str | int | Race) -> list[dict]:
    """A race's submissions, oldest first, each with its racer (``racer``, ``display_name``) and ``laps``."""
    r = get_race(db, race)
    rows = list(db.query("SELECT s.id, s.race_id, racers.alias AS racer, racers.display_name, s.model, s.checkpoint,"
                         " s.submitted_at, s.score_ms FROM submissions s JOIN racers ON racers.id = s.racer_id"
                         " WHERE s.race_id = ? ORDER BY s.id", [r.id]))
    for row in rows:
        row["laps"] = list(db.query("SELECT lap, time_ms, penalty_ms, status FROM laps WHERE submission_id = ?"
                                    " ORDER BY lap", [row["id"]]))
    return rows
