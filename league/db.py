"""The league database: one SQLite file, ``TRACKSIDE_HOME/league.db``, through sqlite-utils.

Rules every module that touches it follows:

- open it with :func:`open_db` (foreign keys on, WAL so readers never block the
  writer, a busy timeout so a second process waits instead of failing);
- make every logical write (a submission with its laps, a session with its laps)
  one transaction with ``with writing(db):``, which takes the write lock up front
  (``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking;
- change the schema only through a migration listed in ``league.migrations.MIGRATIONS``;
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
from typing import Iterator, Sequence

import sqlite_utils

from sim.errors import TracksideError
from sim.paths import home

BUSY_TIMEOUT_MS = 30_000


class LeagueError(TracksideError):
    """A league action that cannot be done; the message says why and what to do."""


def db_path() -> Path:
    return home() / "league.db"


class LeagueDatabaseError(LeagueError):
    """The league database file cannot be used: damaged, read-only, full, locked. One line that
    names the file and says what to do."""


SQLITE_HEADER = b"SQLite format 3\x00"


def database_error(exc: sqlite3.Error | OSError, path: str | Path | None = None) -> LeagueDatabaseError:
    """What SQLite (or the system) refused, as one line naming the file and what to do."""
    path = Path(path) if path is not None else db_path()
    detail = " ".join(str(exc).split()) or exc.__class__.__name__
    text = detail.lower()
    if any(w in text for w in ("not a database", "malformed", "corrupt", "damaged")):
        what = (f"the league database is damaged ({detail}); move it aside (rename it, e.g. to "
                f"{path.name}.broken, with any {path.name}-wal and {path.name}-shm beside it) and put your latest "
                f"backup copy of {path.name} in its place, or leave none to start an empty league")
    elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        what = (f"the league database cannot be written ({detail}); make {path.parent} writable, "
                "or set TRACKSIDE_HOME to a folder you can write")
    elif "full" in text:
        what = f"the disk is full ({detail}); free some space and try again (nothing was changed)"
    elif "locked" in text or "busy" in text:
        what = (f"the league database is busy ({detail}): another Trackside window or command is writing it; "
                "try again when it has finished")
    elif "unable to open" in text or isinstance(exc, OSError):
        what = (f"the league database cannot be opened ({detail}); check that {path.parent} exists and "
                "you can write it, or set TRACKSIDE_HOME to a folder you can write")
    elif "i/o" in text:
        what = f"the disk could not read or write the league database ({detail}); check the disk, then try again"
    else:
        what = f"the league database refused the request ({detail})"
    return LeagueDatabaseError(f"{path}: {what}")


def _check_header(path: Path) -> None:
    """A file that is not SQLite at all is refused before SQLite touches it (it would write to it)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise database_error(sqlite3.DatabaseError("a folder, not a database file"), path) from None
    if head and head != SQLITE_HEADER:
        raise database_error(sqlite3.DatabaseError("file is not a database"), path)


def open_db(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (and migrate) the league database. Each thread or process opens its own.

    A file that cannot be used (damaged, not SQLite, read-only, full, locked) is a
    :class:`LeagueDatabaseError` naming it and what to do."""
    path = Path(path) if path is not None else db_path()
    _check_header(path)
    try:
        return _open(path)
    except (sqlite3.Error, OSError) as exc:
        raise database_error(exc, path) from None


def _open(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if db.journal_mode != "wal":
            with _retry_locked():
                db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses at most the last commit
        migrate(db)
    except BaseException:
        conn.close()
        raise
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


def migrate(db: sqlite_utils.Database, migrations: Sequence | None = None) -> list[str]:
    """Apply the migrations (default: ``league.migrations.MIGRATIONS``) not yet recorded.

    Each runs in its own transaction with foreign keys off, so a migration may rebuild a
    table that others reference (SQLite's documented procedure); the keys are checked
    before it commits. Returns the names applied now.
    """
    if migrations is None:
        from .migrations import MIGRATIONS as migrations
    db.conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in db.conn.execute("SELECT name FROM _migrations")}
    applied = []
    for m in migrations:
        if m.name in done:
            continue
        db.conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before BEGIN
        try:
            with writing(db):
                # Another process may have applied it while we waited for the lock.
                if db.conn.execute("SELECT 1 FROM _migrations WHERE name = ?", [m.name]).fetchone():
                    continue
                m.apply(db)
                broken = db.conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration {m.name!r} broke foreign keys: {broken[:5]}")
                db.conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [m.name, now_iso()])
        finally:
            db.conn.execute("PRAGMA foreign_keys = ON")
        applied.append(m.name)
    return applied


def plain_name(text: str, what: str) -> str:
    """A name as stored (alias, race, season): 1-64 printable characters, trimmed; LeagueError otherwise."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if not 1 <= len(text) <= 64 or not text.isprintable():
        raise LeagueError(f"{what}: expected 1-64 printable characters, got {text!r}")
    return text


def now_iso() -> str:
    """Current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
