"""Virtual-circuit tables in the league database (migrations named ``league-*``, listed in ``league.migrations``).

- ``racers``: people who race; ``alias`` is unique ignoring case, ``display_name`` is shown;
- ``seasons``: a points scheme (``time_ratio`` or ``rank_table`` with its JSON list) and,
  optionally, how many of a racer's best races count (``best_k``);
- ``races``: a competition track with the evaluation rules (laps, trials or continuous,
  off-track penalty s or NULL for no resets), the ranking (``best_lap``, ``best_average``
  over ``average_of`` consecutive laps, ``total_time``), the submission window and limit;
- ``submissions``: one evaluated model. ``frozen_hash`` names the content-addressed copy
  of the weights and metadata it was evaluated with (``league.freeze``); ``score_ms`` is
  the race's ranking time in ms, NULL when the submission has no valid result;
- ``laps``: the laps of a submission, times in integer milliseconds (penalties included),
  with the collisions each lap counted (``league-004-race-type``).

A race's race type (``league-004-race-type``): ``race_type`` (DeepRacer's ``RACE_TYPE`` in
lower case), ``race_settings`` (JSON text, the type's settings by DeepRacer name) and
``collision_penalty_s``; races from before it are time trials.

Points are not stored: they follow from the standings (``league.races``), so a stored
copy could only ever disagree with them.
"""

from __future__ import annotations

import sqlite_utils

POINTS_SCHEMES = ("time_ratio", "rank_table")
MODES = ("trials", "continuous")


TABLES = """
        CREATE TABLE racers (
            id INTEGER PRIMARY KEY,
            alias TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(alias)) BETWEEN 1 AND 64),
            display_name TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE TABLE seasons (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            points TEXT NOT NULL CHECK (points IN ('time_ratio', 'rank_table')),
            rank_table TEXT,
            best_k INTEGER CHECK (best_k IS NULL OR best_k >= 1),
            created TEXT NOT NULL,
            CHECK ((points = 'rank_table') = (rank_table IS NOT NULL))
        );
        CREATE TABLE races (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            season_id INTEGER REFERENCES seasons(id),
            track TEXT NOT NULL,
            laps INTEGER NOT NULL CHECK (laps BETWEEN 1 AND 100),
            mode TEXT NOT NULL CHECK (mode IN ('trials', 'continuous')),
            penalty_s REAL CHECK (penalty_s IS NULL OR penalty_s BETWEEN 0 AND 60),
            ranking TEXT NOT NULL CHECK (ranking IN ('best_lap', 'best_average', 'total_time')),
            average_of INTEGER NOT NULL CHECK (average_of >= 1 AND average_of <= laps),
            opens_at TEXT,
            closes_at TEXT,
            state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
            max_submissions INTEGER CHECK (max_submissions IS NULL OR max_submissions >= 1),
            created TEXT NOT NULL
        );
        CREATE INDEX races_season ON races(season_id);
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            race_id INTEGER NOT NULL REFERENCES races(id),
            racer_id INTEGER NOT NULL REFERENCES racers(id),
            model TEXT NOT NULL,
            checkpoint TEXT NOT NULL,
            iteration INTEGER,
            frozen_hash TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
            score_ms INTEGER CHECK (score_ms IS NULL OR score_ms > 0),
            best_lap_ms INTEGER,
            total_ms INTEGER,
            laps_completed INTEGER NOT NULL,
            off_track INTEGER NOT NULL,
            summary TEXT NOT NULL,
            CHECK (complete = 1 OR score_ms IS NULL)
        );
        CREATE INDEX submissions_standing ON submissions(race_id, racer_id, score_ms, id);
        CREATE TABLE laps (
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            lap INTEGER NOT NULL CHECK (lap >= 1),
            time_ms INTEGER CHECK (time_ms IS NULL OR time_ms > 0),
            completed INTEGER NOT NULL CHECK (completed IN (0, 1)),
            progress REAL NOT NULL,
            off_track INTEGER NOT NULL CHECK (off_track >= 0),
            penalty_ms INTEGER NOT NULL CHECK (penalty_ms >= 0),
            crashed INTEGER NOT NULL DEFAULT 0,
            reversed INTEGER NOT NULL DEFAULT 0,
            immobilized INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            PRIMARY KEY (submission_id, lap),
            CHECK (completed = 0 OR time_ms IS NOT NULL)
        )
"""


def add_submission_sim_version(db: sqlite_utils.Database) -> None:
    # Lap times depend on the simulator as well as the frozen weights; earlier rows predate
    # the column and get NULL (unknown), not a guessed version.
    db.execute("ALTER TABLE submissions ADD COLUMN sim_version TEXT")


def add_submission_seed(db: sqlite_utils.Database) -> None:
    # The noise seed the submission's laps were driven with (sim.noise): with the frozen weights
    # and sim_version it replays the laps exactly. Earlier rows were noiseless and get NULL.
    db.execute("ALTER TABLE submissions ADD COLUMN seed INTEGER")


def add_race_type(db: sqlite_utils.Database) -> None:
    # Races from before race types were time trials: the defaults say so, with no settings and
    # DeepRacer-for-Cloud's collision penalty (DR_EVAL_COLLISION_PENALTY, 5 s), which a time trial never
    # uses. Their laps had no objects to run into: 0 collisions.
    for statement in (
            "ALTER TABLE races ADD COLUMN race_type TEXT NOT NULL DEFAULT 'time_trial' "
            "CHECK (race_type IN ('time_trial', 'object_avoidance', 'head_to_bot'))",
            "ALTER TABLE races ADD COLUMN race_settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(race_settings))",
            "ALTER TABLE races ADD COLUMN collision_penalty_s REAL NOT NULL DEFAULT 5.0 "
            "CHECK (collision_penalty_s BETWEEN 0 AND 60)",
            "ALTER TABLE laps ADD COLUMN collisions INTEGER NOT NULL DEFAULT 0 CHECK (collisions >= 0)"):
        db.execute(statement)


AUDIT_TABLE = """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL CHECK (length(trim(who)) BETWEEN 1 AND 64),
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            before TEXT,
            after TEXT,
            reason TEXT
        );
        CREATE INDEX audit_log_entity ON audit_log(entity, entity_id)
"""
"""The audit log of corrections (``league.audit``)."""


TOKENS_TABLE = """
        CREATE TABLE server_tokens (
            scope TEXT PRIMARY KEY,
            token TEXT NOT NULL CHECK (length(token) >= 16),
            created TEXT NOT NULL
        )
"""
"""Per-event tokens of the event server (``league.tokens``): ``scope`` is ``raceday:<event id>`` or
``race:<race id>``."""
