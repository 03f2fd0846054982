"""The ``league_queue`` table (``league.queue``): submissions frozen and waiting to be evaluated."""

QUEUE_TABLE = """
        CREATE TABLE league_queue (
            id INTEGER PRIMARY KEY,
            race_id INTEGER NOT NULL REFERENCES races(id) ON DELETE CASCADE,
            racer_id INTEGER NOT NULL REFERENCES racers(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            checkpoint TEXT NOT NULL,
            iteration INTEGER,
            frozen_hash TEXT NOT NULL,
            seed INTEGER NOT NULL CHECK (seed BETWEEN 0 AND 4294967295),
            queued_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
            submission_id INTEGER REFERENCES submissions(id) ON DELETE SET NULL,
            error TEXT
        );
        CREATE INDEX league_queue_race ON league_queue(race_id, state, id)
"""
"""The queue of submissions waiting to be evaluated (migration ``league-008-queue``)."""
