"""The sample league a newcomer finds on first start, so the League and Race day pages show how they work.

:func:`ensure_sample_league` fills a league database that has no racers, seasons and races
at all (a first start) with:

- the season :data:`SEASON` (points by time ratio: 1000 x the winner's time / yours);
- the race :data:`RACE` on the competition track :data:`TRACK` (3 laps, best lap counts,
  2 s off-track penalty, at most :data:`MAX_SUBMISSIONS` submissions per racer), open
  from now for :data:`OPEN_DAYS` days;
- the racers of :data:`RACERS`, one of them (``standard``) standing for Trackside's
  standard model, the time to beat;
- when the database has no race-day event either, the event :data:`EVENT` on
  :data:`EVENT_TRACK` with the workshop's rules (4:00 sessions, fastest valid lap, at
  most 3 resets per lap).

A database with any racer, season or race is left alone, so deleting the sample never
brings it back and a real league is never touched. The standard model's submission
(:func:`submit_sample_models`) takes a second or two of evaluation: the desktop app runs
it on a worker thread with its own connection, never while starting up.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlite_utils

from .db import LeagueError

SEASON = "Sample season"
RACE = "Sample Cup"
TRACK = "workshop_loop_cup"
LAPS = 3
MAX_SUBMISSIONS = 5
OPEN_DAYS = 60
RACERS = (("standard", "Trackside Standard"), ("ada", "Ada"), ("grace", "Grace"))
"""``(alias, display name)``; the ``standard`` racer submits the standard model."""
EVENT = "Sample race day"
EVENT_TRACK = "workshop_loop"


def is_empty(db: sqlite_utils.Database) -> bool:
    """True when the league has no racer, season or race (a first start)."""
    return not any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
                   for table in ("racers", "seasons", "races"))


def ensure_sample_league(db: sqlite_utils.Database, *, now: datetime | None = None) -> bool:
    """Create the sample season, race, racers (and race-day event) in an empty league.

    Returns True when it created them, False when the league already had data (then
    nothing changes). Safe to call on every start; two processes starting at once
    create the sample once (the names are unique, the loser's error is swallowed).
    """
    from .raceday import create_event, list_events
    from .races import add_racer, create_race
    from .seasons import create_season

    if not is_empty(db):
        return False
    now = now or datetime.now(timezone.utc)
    try:
        create_season(db, SEASON, points="time_ratio")
        create_race(db, RACE, TRACK, season=SEASON, laps=LAPS, ranking="best_lap", penalty_s=2.0,
                    max_submissions=MAX_SUBMISSIONS, opens_at=now.isoformat(timespec="seconds"),
                    closes_at=(now + timedelta(days=OPEN_DAYS)).isoformat(timespec="seconds"))
        for alias, name in RACERS:
            add_racer(db, alias, name)
        if not list_events(db):
            create_event(db, EVENT, EVENT_TRACK, length_s=240.0, ranking="best_lap", resets_limit=3)
    except LeagueError:
        if is_empty(db):  # not a race with another starter: a real problem
            raise
        return False
    return True


def pending_sample_submissions(db: sqlite_utils.Database) -> list[str]:
    """Aliases of the sample's model racers (``standard``) with no submission to the sample race yet."""
    row = db.execute("SELECT id, state FROM races WHERE name = ?", [RACE]).fetchone()
    if row is None or row[1] != "open":
        return []
    out = []
    for alias in ("standard",):
        r = db.execute("SELECT id FROM racers WHERE alias = ?", [alias]).fetchone()
        if r and not db.execute("SELECT 1 FROM submissions WHERE race_id = ? AND racer_id = ?",
                                [row[0], r[0]]).fetchone():
            out.append(alias)
    return out


def submit_sample_models(db: sqlite_utils.Database, model) -> list[dict]:
    """Submit ``model`` (the standard model, a ``Model`` or its name) to the sample race for
    every sample racer still waiting for it; returns the submissions (see ``league.races.submit``)."""
    from .races import submit

    return [submit(db, RACE, alias, model) for alias in pending_sample_submissions(db)]
