"""The league database: one SQLite file, ``TRACKSIDE_HOME/league.db``, through sqlite-utils.

Rules every module that touches it follows:

- open it with :func:`open_db` (foreign keys on, WAL so readers never block the
  writer, a busy timeout so a second process waits instead of failing);
- make every logical write (a submission with its laps, a session with its laps)
  one transaction with ``with writing(db):``, which takes the write lock up front
  (``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking;
- change the schema only through a migration registered with :func:`migration`;
  applied migrations are recorded in ``_migrations`` and each runs exactly once,
  in its own transaction.

One connection per thread: a ``Database`` must not be shared between threads.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from sim.errors import TracksideError
from sim.paths import home

BUSY_TIMEOUT_MS = 30_000
_MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


class LeagueError(TracksideError):
    """A league action that cannot be done; the message says why and what to do."""


def migration(name: str):
    """Register ``fn(db)`` as the schema migration ``name`` (applied once, in registration order)."""

    def register(fn):
        if any(n == name for n, _ in _MIGRATIONS):
            raise RuntimeError(f"migration {name!r} registered twice")
        _MIGRATIONS.append((name, fn))
        return fn

    return register


def db_path() -> Path:
    return home() / "league.db"


def open_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (and migrate) the league database. Each thread or process opens its own."""
    _load_schema_modules()
    path = Path(path) if path is not None else db_path()
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if db.journal_mode != "wal":
        with _retry_locked():
            db.enable_wal()
    conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
    migrate(db)
    return db


@contextlib.contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One logical write: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn = db.conn
    if conn.in_transaction:  # nested: a savepoint inside the caller's transaction
        with db.atomic():
            yield db
        return
    with _retry_locked():
        conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextlib.contextmanager
def _retry_locked(attempts: int = 20):
    """The busy timeout covers most waits; this covers the rare lock error it does not (e.g. WAL setup)."""
    for i in range(attempts):
        try:
            yield
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply registered migrations not yet recorded. Returns the names applied now."""
    db.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in _MIGRATIONS:
        if name in done:
            continue
        with writing(db):
            # Another process may have applied it while we waited for the lock.
            if db.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", [name]).fetchone():
                continue
            fn(db)
            db.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now_iso()])
        applied.append(name)
    return applied


def run_schema(db: sqlite_utils.Database, sql: str) -> None:
    """Run ``;``-separated DDL inside the current migration's transaction.

    Statement by statement: ``executescript()`` would COMMIT the migration's transaction.
    """
    for statement in sql.split(";"):
        if statement.strip():
            db.conn.execute(statement)


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _load_schema_modules() -> None:
    """Import the modules that register migrations, in a fixed order."""
    import importlib

    for name in ("league.schema", "league.raceday_schema"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
