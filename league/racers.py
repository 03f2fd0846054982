"""Racers of the virtual circuit (and of race day's queue): an alias unique ignoring case and a display name."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

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
