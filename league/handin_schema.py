"""The organiser's inbox of model hand-ins (``handin_inbox``, migration ``league-007-handin-inbox``).

One row per archive handed in, accepted or refused: who (``alias``), how it came (``source``: the
upload page and the client's address, or the watched folder's file), the archive's own SHA-256 (a
watched folder skips files it has already seen, by this hash), the target (``raceday:<id>`` or
``race:<id>``), and for an accepted one the imported model, its frozen hash and what the target said
(``detail``: JSON, the queue position or the submission's result).
"""

INBOX_TABLE = """
        CREATE TABLE handin_inbox (
            id INTEGER PRIMARY KEY,
            received TEXT NOT NULL,
            alias TEXT NOT NULL,
            source TEXT NOT NULL,
            archive_name TEXT NOT NULL,
            archive_sha256 TEXT NOT NULL,
            archive_bytes INTEGER NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('accepted', 'refused')),
            reason TEXT,
            model TEXT,
            frozen_hash TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX handin_inbox_archive ON handin_inbox (archive_sha256);
        CREATE INDEX handin_inbox_target ON handin_inbox (target, received)
"""
