"""The audit log: every correction made after the fact, with who, when, before and after.

A correction (a lap's time or validity changed, a session deleted or given to another racer,
a racer, event, race or season edited or deleted) is written in the same transaction as the
change it records, through :func:`record_change` called inside the caller's ``with writing(db):``.
So the log and the data never disagree: either both are there or neither is.

``audit_log`` rows (``league.schema.AUDIT_TABLE``, migration ``league-005-audit-log``):

- ``at``: ISO 8601 UTC time of the change; ``who``: the person who made it (the front-end
  passes ``--by`` or the login name, :func:`who_is_editing`);
- ``action``: what was done, a short verb phrase (``lap edit``, ``session delete``, ...);
- ``entity`` and ``entity_id``: the kind of row changed (``raceday_lap``, ``raceday_session``,
  ``racer``, ``raceday_event``, ``race``, ``season`` ...) and its key as text (``12`` or ``12/3``
  for session 12's lap 3);
- ``before`` and ``after``: the row's fields as JSON objects (NULL for a creation or a deletion);
- ``reason``: the words the person gave, if any.
"""

from __future__ import annotations

import getpass
import json
import os

import sqlite_utils

from .db import LeagueError, now_iso

def who_is_editing(given: str | None = None) -> str:
    """The editor's name: ``given`` (``--by``), else ``TRACKSIDE_USER``, else the login name."""
    name = (given or os.environ.get("TRACKSIDE_USER") or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no login name (a container without a passwd entry)
            name = "unknown"
    if len(name) > 64 or any(ord(c) < 32 for c in name):
        raise LeagueError("--by: expected a name of 1-64 printable characters")
    return name


def record_change(db: sqlite_utils.Database, who: str, action: str, entity: str, entity_id, *,
                  before: dict | None = None, after: dict | None = None, reason: str | None = None) -> int:
    """Write one audit entry; call it inside the ``writing(db)`` transaction of the change itself."""
    if not db.conn.in_transaction:
        raise RuntimeError("record_change must run inside the change's own transaction (with writing(db):)")
    cur = db.conn.execute(
        "INSERT INTO audit_log (at, who, action, entity, entity_id, before, after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [now_iso(), who_is_editing(who), action, entity, str(entity_id),
         None if before is None else json.dumps(before, sort_keys=True, default=str),
         None if after is None else json.dumps(after, sort_keys=True, default=str),
         (reason or "").strip() or None])
    return int(cur.lastrowid)


def audit_entries(db: sqlite_utils.Database, *, entity: str | None = None, entity_id=None,
                  limit: int | None = None) -> list[dict]:
    """Entries, newest first (``entity``/``entity_id`` narrow them); ``before``/``after`` as dicts."""
    where, args = [], []
    if entity is not None:
        where.append("entity = ?")
        args.append(entity)
    if entity_id is not None:
        where.append("entity_id = ?")
        args.append(str(entity_id))
    sql = "SELECT * FROM audit_log" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = list(db.query(sql, args))
    for row in rows:
        for key in ("before", "after"):
            row[key] = None if row[key] is None else json.loads(row[key])
    return rows
