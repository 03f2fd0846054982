"""Seasons: a points scheme for their races and, optionally, how many of a racer's races count.

Points per race follow the season's scheme: ``time_ratio`` (round(1000 x winner's time /
racer's time), halves up; the default and the one used for races outside a season) or
``rank_table`` (points by rank, e.g. 25,18,15,...; beyond the table 0). No valid result
scores 0. Season standings (``league.races.season_standings``) sum each racer's race
points, or only their best ``best_k`` races.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

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
    if best_k is not None and (not isinstance(best_k, int) or best_k < 1):
        raise LeagueError(f"best K: expected a whole number of races, 1 or more, got {best_k!r}")
    with writing(db):
        if db.execute("SELECT 1 FROM seasons WHERE name = ?", [name]).fetchone():
            raise LeagueError(f"a season named {name!r} already exists")
        db.execute("INSERT INTO seasons (name, points, rank_table, best_k, created) VALUES (?, ?, ?, ?, ?)",
                   [name, points, json.dumps(list(table)) if table else None, best_k, now_iso()])
    return get_season(db, name)


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
