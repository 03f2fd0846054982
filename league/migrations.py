"""Every schema change of the league database, in the order it is applied.

This list is the one place migrations are named: ``league.db.open_db`` applies the ones
not yet recorded in ``_migrations``, each once, in its own transaction. Add a new one
at the end; never edit or reorder one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from .finals_schema import TABLES as FINALS_TABLES
from .handin_schema import INBOX_TABLE as HANDIN_TABLE
from .queue_schema import QUEUE_TABLE
from .raceday.schema import TABLES as RACEDAY_TABLES
from .raceday.schema import (add_event_formats, add_event_race_type, add_event_tracks, add_lap_penalty,
                             add_session_seed, rename_rankings)
from .schema import AUDIT_TABLE, TOKENS_TABLE
from .schema import TABLES as LEAGUE_TABLES
from .schema import add_race_type, add_submission_seed, add_submission_sim_version


@dataclass(frozen=True)
class Migration:
    name: str
    """Recorded in ``_migrations`` once applied; unique."""
    apply: Callable[[sqlite_utils.Database], None]
    """Runs inside the migration's transaction (foreign keys off, checked before commit)."""


def run_schema(sql: str) -> Callable[[sqlite_utils.Database], None]:
    """A migration step running ``;``-separated DDL statement by statement.

    Not ``executescript()``: it would COMMIT the migration's transaction.
    """

    def apply(db: sqlite_utils.Database) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                db.conn.execute(statement)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration("league-001-tables", run_schema(LEAGUE_TABLES)),
    Migration("league-002-submission-sim-version", add_submission_sim_version),
    Migration("raceday-001-tables", run_schema(RACEDAY_TABLES)),
    Migration("raceday-002-ranking-words", rename_rankings),
    Migration("league-003-submission-seed", add_submission_seed),
    Migration("raceday-003-session-seed", add_session_seed),
    Migration("league-004-race-type", add_race_type),
    Migration("raceday-004-event-race-type", add_event_race_type),
    Migration("league-005-audit-log", run_schema(AUDIT_TABLE)),
    Migration("raceday-005-lap-penalty", add_lap_penalty),
    Migration("raceday-006-formats", add_event_formats),
    Migration("raceday-007-finals", run_schema(FINALS_TABLES)),
    Migration("league-006-server-tokens", run_schema(TOKENS_TABLE)),
    Migration("league-007-handin-inbox", run_schema(HANDIN_TABLE)),
    Migration("raceday-008-multi-track", add_event_tracks),
    Migration("league-008-queue", run_schema(QUEUE_TABLE)),
)
