"""The finals tables (migration ``raceday-007-finals``, listed in ``league.migrations``).

- ``raceday_finals``: an event's finals (one per event): ``bracket`` (single elimination) or
  ``ladder``, the number of finalists (2..32) and the laps a heat runs;
- ``raceday_finalists``: who qualified, by seed (1 = top of the board), with their qualifying
  time and the model (and checkpoint) of the session that set it (NULL: a physical car);
- ``raceday_heats``: one heat of two racers, by round and slot: racer ``a`` (the higher seed of a
  first-round heat) and ``b`` (NULL until a winner arrives from an earlier heat; NULL for good in
  a bye), the winner, each racer's time for the heat's laps (ms), how it was decided
  (``bye``, ``head_to_model`` or ``timed``) and its details as JSON.

Racers are kept as text (aliases), as the race-day tables keep them.
"""

from __future__ import annotations

TABLES = """
        CREATE TABLE raceday_finals (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL UNIQUE REFERENCES raceday_events(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('bracket', 'ladder')),
            size INTEGER NOT NULL CHECK (size BETWEEN 2 AND 32),
            laps INTEGER NOT NULL CHECK (laps BETWEEN 1 AND 20),
            created TEXT NOT NULL
        );
        CREATE TABLE raceday_finalists (
            final_id INTEGER NOT NULL REFERENCES raceday_finals(id) ON DELETE CASCADE,
            seed INTEGER NOT NULL CHECK (seed >= 1),
            racer TEXT NOT NULL,
            display_name TEXT NOT NULL,
            qualifying_ms INTEGER,
            model TEXT,
            checkpoint TEXT,
            PRIMARY KEY (final_id, seed),
            UNIQUE (final_id, racer)
        );
        CREATE TABLE raceday_heats (
            id INTEGER PRIMARY KEY,
            final_id INTEGER NOT NULL REFERENCES raceday_finals(id) ON DELETE CASCADE,
            round INTEGER NOT NULL CHECK (round >= 1),
            slot INTEGER NOT NULL CHECK (slot >= 1),
            racer_a TEXT,
            racer_b TEXT,
            winner TEXT,
            time_a_ms INTEGER CHECK (time_a_ms IS NULL OR time_a_ms > 0),
            time_b_ms INTEGER CHECK (time_b_ms IS NULL OR time_b_ms > 0),
            method TEXT CHECK (method IS NULL OR method IN ('bye', 'head_to_model', 'timed')),
            detail TEXT,
            recorded TEXT,
            UNIQUE (final_id, round, slot),
            CHECK (winner IS NULL OR winner = racer_a OR winner = racer_b)
        );
        CREATE INDEX raceday_heats_final ON raceday_heats(final_id, round, slot)
"""
