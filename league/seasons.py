"""Seasons: a points scheme for their races and, optionally, how many of a racer's races count.

Points per race follow the season's scheme: ``time_ratio`` (round(1000 x winner's time /
racer's time), halves up; the default and the one used for races outside a season) or
``rank_table`` (points by rank, e.g. 25,18,15,...; beyond the table 0). No valid result
scores 0. Season standings (``league.races.season_standings``) sum each racer's race
points, or only their best ``best_k`` races.

Corrections (audited, :mod:`league.audit`): :func:`edit_season` (name, points scheme, rank table,
best K; checked as at creation) and :func:`delete_season`. A season with races is not deleted
unless ``detach``: then its races stay, with their submissions, as races outside any season, scored
by time ratio like every such race. Nothing is deleted silently, and no race's results go.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import sqlite_utils

from .audit import record_change
from .db import LeagueError, now_iso, plain_name, writing
from .schema import POINTS_SCHEMES

DEFAULT_RANK_TABLE = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)


@dataclass(frozen=True)
class Season:
    id: int
    name: str
    points: str
    """``time_ratio`` or ``rank_table``."""
    rank_table: tuple[int, ...] | None
    best_k: int | None
    """Count only each racer's best K races (None: all)."""
    created: str


def create_season(db: sqlite_utils.Database, name: str, *, points: str = "time_ratio",
                  rank_table: list[int] | tuple[int, ...] | None = None, best_k: int | None = None) -> Season:
    """A season. ``rank_table`` (points by rank, non-increasing) defaults to 25,18,15,12,10,8,6,4,2,1."""
    name = plain_name(name, "season name")
    table = check_points(points, rank_table, best_k)
    with writing(db):
        if db.execute("SELECT 1 FROM seasons WHERE name = ?", [name]).fetchone():
            raise LeagueError(f"a season named {name!r} already exists")
        db.execute("INSERT INTO seasons (name, points, rank_table, best_k, created) VALUES (?, ?, ?, ?, ?)",
                   [name, points, json.dumps(list(table)) if table else None, best_k, now_iso()])
    return get_season(db, name)


def check_points(points: str, rank_table, best_k) -> tuple[int, ...] | None:
    """The points rules of a season (create and edit alike); returns the rank table to store, or None."""
    if points not in POINTS_SCHEMES:
        raise LeagueError(f"points: expected one of {', '.join(POINTS_SCHEMES)}, got {points!r}")
    table = None
    if points == "rank_table":
        table = tuple(rank_table) if rank_table else DEFAULT_RANK_TABLE
        if not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in table):
            raise LeagueError(f"rank table: expected whole numbers of points, 0 or more, got {list(table)}")
        if any(a < b for a, b in zip(table, table[1:])):
            raise LeagueError(f"rank table: a better rank cannot score fewer points, got {list(table)}")
    elif rank_table:
        raise LeagueError("rank table: only used with --points rank_table")
    if best_k is not None and (not isinstance(best_k, int) or isinstance(best_k, bool) or best_k < 1):
        raise LeagueError(f"best K: expected a whole number of races, 1 or more, got {best_k!r}")
    return table


def get_season(db: sqlite_utils.Database, season: str | int | Season) -> Season:
    if isinstance(season, Season):
        return season
    col = "id" if isinstance(season, int) else "name"
    row = db.execute(f"SELECT id, name, points, rank_table, best_k, created FROM seasons WHERE {col} = ?",
                     [season]).fetchone()
    if row is None:
        raise LeagueError(f"no season named {season!r}")
    return Season(row[0], row[1], row[2], tuple(json.loads(row[3])) if row[3] else None, row[4], row[5])


def list_seasons(db: sqlite_utils.Database) -> list[Season]:
    return [get_season(db, r[0]) for r in db.execute("SELECT id FROM seasons ORDER BY created, id")]


def race_points(rank: int, score_ms: int | None, winner_ms: int | None, season: Season | None) -> int:
    """Points for one standing: 0 without a valid result; else by the season's scheme (time ratio by default)."""
    if score_ms is None or winner_ms is None:
        return 0
    if season is not None and season.points == "rank_table":
        table = season.rank_table or DEFAULT_RANK_TABLE
        return int(table[rank - 1]) if rank <= len(table) else 0
    return (2000 * winner_ms + score_ms) // (2 * score_ms)  # round(1000 x winner / time), halves up, exact


KEEP = object()
"""An :func:`edit_season` argument left as it is."""


def edit_season(db: sqlite_utils.Database, season: str | int | Season, who: str, *, name: str | None = None,
                points: str | None = None, rank_table=KEEP, best_k=KEEP, reason: str | None = None) -> Season:
    """Change a season's name or points rules (``best_k=None``: every race counts); audited.
    Standings follow at once: points are computed from the standings, never stored."""
    old = get_season(db, season)
    name = old.name if name is None else plain_name(name, "--name")
    points = old.points if points is None else points
    if rank_table is KEEP:
        rank_table = old.rank_table if points == "rank_table" else None
    best_k = old.best_k if best_k is KEEP else best_k
    table = check_points(points, rank_table, best_k)
    with writing(db):
        if name.lower() != old.name.lower() and db.execute("SELECT 1 FROM seasons WHERE name = ?", [name]).fetchone():
            raise LeagueError(f"--name: a season named {name!r} already exists")
        db.execute("UPDATE seasons SET name = ?, points = ?, rank_table = ?, best_k = ? WHERE id = ?",
                   [name, points, json.dumps(list(table)) if table else None, best_k, old.id])
        new = get_season(db, old.id)
        if new == old:
            raise LeagueError(f"season {old.name!r} already has these settings: nothing to change")
        record_change(db, who, "season edit", "season", old.id, before=asdict(old), after=asdict(new), reason=reason)
    return new


def delete_season(db: sqlite_utils.Database, season: str | int | Season, who: str, *, detach: bool = False,
                  reason: str | None = None) -> list[str]:
    """Delete a season; refused while it has races unless ``detach`` (the races stay, outside any
    season). Returns the names of the races detached."""
    s = get_season(db, season)
    with writing(db):
        races = [r[0] for r in db.execute("SELECT name FROM races WHERE season_id = ? ORDER BY id", [s.id])]
        if races and not detach:
            raise LeagueError(f"season {s.name!r} has {len(races)} race(s) ({', '.join(races)}); keep them as races "
                              "outside any season with --detach, or delete them first (trackside league race delete)")
        db.execute("UPDATE races SET season_id = NULL WHERE season_id = ?", [s.id])
        db.execute("DELETE FROM seasons WHERE id = ?", [s.id])
        record_change(db, who, "season delete", "season", s.id, before={**asdict(s), "races": races}, reason=reason)
    return races
