"""Racers of the virtual circuit (and of race day's queue): an alias unique ignoring case and a display name.

Corrections (audited, :mod:`league.audit`): :func:`edit_racer` (alias, display name) and
:func:`delete_racer` (refused while the racer has submissions, unless ``cascade``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlite_utils

from .audit import record_change
from .db import LeagueError, now_iso, plain_name, writing


@dataclass(frozen=True)
class Racer:
    id: int
    alias: str
    display_name: str
    created: str


def add_racer(db: sqlite_utils.Database, alias: str, display_name: str | None = None) -> Racer:
    """A new racer. ``alias`` is unique ignoring case (1-64 printable characters)."""
    alias = plain_name(alias, "alias")
    display = (display_name or "").strip() or alias
    with writing(db):
        row = db.execute("SELECT alias FROM racers WHERE alias = ?", [alias]).fetchone()
        if row:
            raise LeagueError(f"alias {alias!r} is taken (by racer {row[0]!r}); choose another")
        db.execute("INSERT INTO racers (alias, display_name, created) VALUES (?, ?, ?)", [alias, display, now_iso()])
    return get_racer(db, alias)


def get_racer(db: sqlite_utils.Database, alias: str) -> Racer:
    row = db.execute("SELECT id, alias, display_name, created FROM racers WHERE alias = ?", [str(alias)]).fetchone()
    if row is None:
        raise LeagueError(f"no racer with alias {alias!r}; add one with: trackside league racer add {alias}")
    return Racer(*row)


def list_racers(db: sqlite_utils.Database) -> list[Racer]:
    return [Racer(*r) for r in db.execute("SELECT id, alias, display_name, created FROM racers ORDER BY alias")]


def edit_racer(db: sqlite_utils.Database, alias: str, who: str, *, new_alias: str | None = None,
               display_name: str | None = None, reason: str | None = None) -> Racer:
    """Change a racer's alias (still unique ignoring case) and/or display name; audited.

    Race day keeps racers as text (``league.raceday.schema``): its sessions and queue entries under
    the old alias follow the racer, so the event boards show the new alias and name at once."""
    racer = get_racer(db, alias)
    changes = {}
    if new_alias is not None and plain_name(new_alias, "--alias") != racer.alias:
        changes["alias"] = plain_name(new_alias, "--alias")
    if display_name is not None and plain_name(display_name, "--name") != racer.display_name:
        changes["display_name"] = plain_name(display_name, "--name")
    if not changes:
        raise LeagueError("nothing to change: give a new --alias or --name")
    with writing(db):
        if "alias" in changes:
            row = db.execute("SELECT alias FROM racers WHERE alias = ? AND id != ?",
                             [changes["alias"], racer.id]).fetchone()
            if row:
                raise LeagueError(f"--alias: {changes['alias']!r} is taken (by racer {row[0]!r}); choose another")
        new = {**asdict(racer), **changes}
        db.conn.execute("UPDATE racers SET alias = ?, display_name = ? WHERE id = ?",
                        [new["alias"], new["display_name"], racer.id])
        moved = _follow_on_race_day(db, racer.alias, new["alias"], new["display_name"])
        record_change(db, who, "racer edit", "racer", racer.id, before=asdict(racer),
                      after={**new, "race_day_rows": moved}, reason=reason)
    return get_racer(db, new["alias"])


def delete_racer(db: sqlite_utils.Database, alias: str, who: str, *, cascade: bool = False,
                 reason: str | None = None) -> list[dict]:
    """Delete a racer; refused while they have submissions unless ``cascade``, which deletes those
    too (each audited). Returns the submissions that went (``id, race, model, score_ms``).
    Race-day sessions under the alias stay: race day does not need league members (walk-ups)."""
    racer = get_racer(db, alias)
    with writing(db):
        subs = list(db.query("SELECT s.id, races.name AS race, s.race_id, s.model, s.score_ms FROM submissions s "
                             "JOIN races ON races.id = s.race_id WHERE s.racer_id = ? ORDER BY s.id", [racer.id]))
        if subs and not cascade:
            raise LeagueError(f"racer {racer.alias!r} has {len(subs)} submission(s) in "
                              f"{', '.join(sorted({s['race'] for s in subs}))}; delete them with the racer: --cascade")
        why = f"racer {racer.alias!r} deleted" + (f": {reason}" if reason else "")
        for s in subs:
            db.conn.execute("DELETE FROM submissions WHERE id = ?", [s["id"]])
            record_change(db, who, "submission delete", "submission", s["id"], before={**s, "racer": racer.alias},
                          reason=why)
        db.conn.execute("DELETE FROM racers WHERE id = ?", [racer.id])
        record_change(db, who, "racer delete", "racer", racer.id, before={**asdict(racer), "submissions": subs},
                      reason=reason)
    return subs


def _follow_on_race_day(db: sqlite_utils.Database, old: str, alias: str, display_name: str) -> int:
    """Race-day rows of alias ``old`` take the racer's new alias and name; returns how many changed."""
    if "raceday_sessions" not in db.table_names():
        return 0
    n = 0
    for table in ("raceday_sessions", "raceday_queue"):
        n += db.conn.execute(f"UPDATE {table} SET racer = ?, display_name = ? WHERE racer = ? COLLATE NOCASE",
                             [alias, display_name, old]).rowcount
    return n
