"""Race-day tables in the league database (migrations named ``raceday-*``, listed in ``league.migrations``).

Tables, all prefixed ``raceday_`` so they never meet the virtual-circuit league's:

- ``raceday_events``: an event: track, session length (s), ranking (``best_lap`` or
  ``best_average``, ``league.laptime.Ranking``; ``fastest``/``average`` before
  raceday-002), resets-per-lap limit, race type with its settings and collision penalty
  (raceday-004; ``trainer.race``);
- ``raceday_queue``: racers waiting for (or done with) a session, in ``position`` order;
- ``raceday_sessions``: one recorded session (submitted, dnf or discarded) with its
  result columns kept beside the laps so a leaderboard needs no recomputation;
- ``raceday_laps``: the laps of a session, times in integer milliseconds, with their resets and
  (raceday-004) the collisions among those resets.

raceday-006 (formats): the ranking may also be ``total_time``, ``most_laps`` or ``first_to``
(``target_laps``: the N of total time, the X of first to), and an event may cap each racer's
runs (``max_runs``, NULL: no cap).

raceday-008 (multi-track): ``raceday_event_tracks`` (an event's tracks in order, the first is
``raceday_events.track``), ``raceday_sessions.track`` (the track a session ran on) and
``raceday_queue.track`` (the track an entry asked for; NULL: the event's first).

A racer is kept as text (``racer`` alias + ``display_name``) rather than a foreign key
into the league's ``racers`` table: a walk-up racer at an event need not be a league
member, and race day must work whether or not the league tables exist.
"""

from __future__ import annotations

import sqlite_utils

TABLES = """
        CREATE TABLE raceday_events (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            track TEXT NOT NULL,
            length_s REAL NOT NULL CHECK (length_s BETWEEN 60 AND 600),
            ranking TEXT NOT NULL CHECK (ranking IN ('fastest', 'average')),
            average_of INTEGER NOT NULL CHECK (average_of >= 2),
            resets_limit INTEGER CHECK (resets_limit IS NULL OR resets_limit >= 0),
            min_lap_s REAL NOT NULL CHECK (min_lap_s >= 0),
            penalty_s REAL NOT NULL CHECK (penalty_s >= 0),
            created TEXT NOT NULL
        );
        CREATE TABLE raceday_queue (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES raceday_events(id) ON DELETE CASCADE,
            racer TEXT NOT NULL,
            display_name TEXT NOT NULL,
            position INTEGER NOT NULL,
            driver TEXT NOT NULL CHECK (driver IN ('model', 'car')),
            model TEXT,
            checkpoint TEXT,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'skipped')),
            added TEXT NOT NULL,
            CHECK ((driver = 'model') = (model IS NOT NULL))
        );
        CREATE INDEX raceday_queue_event ON raceday_queue(event_id, state, position);
        CREATE TABLE raceday_sessions (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES raceday_events(id) ON DELETE CASCADE,
            queue_id INTEGER REFERENCES raceday_queue(id) ON DELETE SET NULL,
            racer TEXT NOT NULL,
            display_name TEXT NOT NULL,
            driver TEXT NOT NULL CHECK (driver IN ('model', 'car')),
            model TEXT,
            checkpoint TEXT,
            started TEXT,
            ended TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('submitted', 'discarded', 'dnf')),
            end_reason TEXT,
            length_s REAL NOT NULL,
            best_lap_ms INTEGER,
            best_average_ms INTEGER,
            laps INTEGER NOT NULL,
            valid_laps INTEGER NOT NULL,
            resets INTEGER NOT NULL,
            timer_log TEXT NOT NULL
        );
        CREATE INDEX raceday_sessions_event ON raceday_sessions(event_id, racer);
        CREATE TABLE raceday_laps (
            session_id INTEGER NOT NULL REFERENCES raceday_sessions(id) ON DELETE CASCADE,
            lap INTEGER NOT NULL CHECK (lap >= 1),
            time_ms INTEGER NOT NULL CHECK (time_ms > 0),
            resets INTEGER NOT NULL CHECK (resets >= 0),
            valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
            auto_invalid TEXT,
            overridden INTEGER NOT NULL DEFAULT 0 CHECK (overridden IN (0, 1)),
            PRIMARY KEY (session_id, lap)
        );
"""


_EVENTS_002 = """
        CREATE TABLE raceday_events_002 (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            track TEXT NOT NULL,
            length_s REAL NOT NULL CHECK (length_s BETWEEN 60 AND 600),
            ranking TEXT NOT NULL CHECK (ranking IN ('best_lap', 'best_average')),
            average_of INTEGER NOT NULL CHECK (average_of >= 2),
            resets_limit INTEGER CHECK (resets_limit IS NULL OR resets_limit >= 0),
            min_lap_s REAL NOT NULL CHECK (min_lap_s >= 0),
            penalty_s REAL NOT NULL CHECK (penalty_s >= 0),
            created TEXT NOT NULL
        )
"""


def rename_rankings(db: sqlite_utils.Database) -> None:
    """``fastest``/``average`` -> ``best_lap``/``best_average``: the league races' words, one vocabulary.

    SQLite cannot change a CHECK constraint in place, so the table is rebuilt (SQLite's
    documented procedure: the migration runs with foreign keys off and checks them before
    it commits, so the queue and sessions keep pointing at their events).
    """
    db.conn.execute(_EVENTS_002)
    db.conn.execute(
        "INSERT INTO raceday_events_002 (id, name, track, length_s, ranking, average_of, resets_limit, min_lap_s,"
        " penalty_s, created) SELECT id, name, track, length_s, CASE ranking WHEN 'fastest' THEN 'best_lap'"
        " WHEN 'average' THEN 'best_average' ELSE ranking END, average_of, resets_limit, min_lap_s, penalty_s,"
        " created FROM raceday_events")
    db.conn.execute("DROP TABLE raceday_events")
    db.conn.execute("ALTER TABLE raceday_events_002 RENAME TO raceday_events")


def add_session_seed(db: sqlite_utils.Database) -> None:
    """``raceday_sessions.seed``: the noise seed a simulated session drove with (``sim.noise``), so the
    session replays exactly; NULL for a physical car's session and for sessions recorded before."""
    db.conn.execute("ALTER TABLE raceday_sessions ADD COLUMN seed INTEGER")


def add_event_race_type(db: sqlite_utils.Database) -> None:
    """An event's race type (``trainer.race.RACE_TYPES``), its settings (DeepRacer names, JSON text) and
    the collision penalty (s, DeepRacer-for-Cloud's ``DR_EVAL_COLLISION_PENALTY`` default 5); a lap's
    collisions. Events made before are time trials and their laps had no collisions."""
    for sql in (
            "ALTER TABLE raceday_events ADD COLUMN race_type TEXT NOT NULL DEFAULT 'time_trial' "
            "CHECK (race_type IN ('time_trial', 'object_avoidance', 'head_to_bot'))",
            "ALTER TABLE raceday_events ADD COLUMN race_settings TEXT NOT NULL DEFAULT '{}'",
            "ALTER TABLE raceday_events ADD COLUMN collision_penalty_s REAL NOT NULL DEFAULT 5.0 "
            "CHECK (collision_penalty_s >= 0)",
            "ALTER TABLE raceday_laps ADD COLUMN collisions INTEGER NOT NULL DEFAULT 0 CHECK (collisions >= 0)"):
        db.conn.execute(sql)


def add_lap_penalty(db: sqlite_utils.Database) -> None:
    """``raceday_laps.penalty_ms``: a time penalty a marshal added to a lap, ms (0 for every lap before);
    the lap counts at ``time_ms + penalty_ms`` (``league.raceday.entries.refresh_session_results``)."""
    db.conn.execute("ALTER TABLE raceday_laps ADD COLUMN penalty_ms INTEGER NOT NULL DEFAULT 0 CHECK (penalty_ms >= 0)")


_EVENTS_006 = """
        CREATE TABLE raceday_events_006 (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            track TEXT NOT NULL,
            length_s REAL NOT NULL CHECK (length_s BETWEEN 60 AND 600),
            ranking TEXT NOT NULL
                CHECK (ranking IN ('best_lap', 'best_average', 'total_time', 'most_laps', 'first_to')),
            average_of INTEGER NOT NULL CHECK (average_of >= 2),
            resets_limit INTEGER CHECK (resets_limit IS NULL OR resets_limit >= 0),
            min_lap_s REAL NOT NULL CHECK (min_lap_s >= 0),
            penalty_s REAL NOT NULL CHECK (penalty_s >= 0),
            created TEXT NOT NULL,
            race_type TEXT NOT NULL DEFAULT 'time_trial'
                CHECK (race_type IN ('time_trial', 'object_avoidance', 'head_to_bot')),
            race_settings TEXT NOT NULL DEFAULT '{}',
            collision_penalty_s REAL NOT NULL DEFAULT 5.0 CHECK (collision_penalty_s >= 0),
            target_laps INTEGER CHECK (target_laps IS NULL OR target_laps >= 1),
            max_runs INTEGER CHECK (max_runs IS NULL OR max_runs >= 1),
            CHECK (ranking NOT IN ('total_time', 'first_to') OR target_laps IS NOT NULL)
        )
"""
_EVENT_COLUMNS_005 = ("id, name, track, length_s, ranking, average_of, resets_limit, min_lap_s, penalty_s, created, "
                      "race_type, race_settings, collision_penalty_s")


def add_event_formats(db: sqlite_utils.Database) -> None:
    """The formats (``total_time``, ``most_laps``, ``first_to`` with ``target_laps``) and the runs cap
    (``max_runs``). The ranking's CHECK changes, so the table is rebuilt as in raceday-002; events
    made before keep their ranking and have no cap (NULL), as they had none."""
    db.conn.execute(_EVENTS_006)
    db.conn.execute(f"INSERT INTO raceday_events_006 ({_EVENT_COLUMNS_005}) SELECT {_EVENT_COLUMNS_005} "
                    "FROM raceday_events")
    db.conn.execute("DROP TABLE raceday_events")
    db.conn.execute("ALTER TABLE raceday_events_006 RENAME TO raceday_events")


def add_event_tracks(db: sqlite_utils.Database) -> None:
    """Multi-track events (DREM runs one event on several tracks): ``raceday_event_tracks`` lists an
    event's tracks in ``position`` order, the first being ``raceday_events.track`` (kept, so code that
    reads one track still reads the event's first); a session records the track it ran on
    (``raceday_sessions.track``) and a queue entry may name one (``raceday_queue.track``, NULL: the
    event's first). Events and sessions made before ran on their event's one track."""
    for sql in (
            "CREATE TABLE raceday_event_tracks ("
            " event_id INTEGER NOT NULL REFERENCES raceday_events(id) ON DELETE CASCADE,"
            " track TEXT NOT NULL,"
            " position INTEGER NOT NULL CHECK (position >= 1),"
            " PRIMARY KEY (event_id, position), UNIQUE (event_id, track))",
            "INSERT INTO raceday_event_tracks (event_id, track, position) SELECT id, track, 1 FROM raceday_events",
            "ALTER TABLE raceday_sessions ADD COLUMN track TEXT",
            "UPDATE raceday_sessions SET track = (SELECT e.track FROM raceday_events e WHERE e.id = event_id)",
            "ALTER TABLE raceday_queue ADD COLUMN track TEXT"):
        db.conn.execute(sql)
