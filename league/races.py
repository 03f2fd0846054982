"""The virtual circuit: racers, seasons, races, submissions, standings and points.

A submission freezes the model (``league.freeze``), evaluates the frozen copy on the
race's competition track under the race's rules (about a second, outside any
transaction), then :func:`record_submission` writes the submission and its laps in one
``BEGIN IMMEDIATE`` transaction, checking again that the race is open and the racer has
submissions left. A process killed at any point leaves the submission wholly there or
not at all; running the submission again is always safe.

Ranking (conventions section 8): each racer's standing is their best submission by the
race's ranking time (``best_lap``, ``best_average`` of ``average_of`` consecutive laps, or
``total_time``; lower is better). Only a submission that completed every lap has a time;
a later one replaces the standing only if strictly better. rank = 1 + the number of
racers strictly better; ties share the rank and the points, the earlier result listed
first; racers with no valid result rank after everyone with one. Standings are computed
in SQL with window functions, so 10,000 submissions rank in milliseconds.

Points per race follow the season's scheme: ``time_ratio`` (round(1000 x winner's time /
racer's time), the default and the one used for races outside a season) or ``rank_table``
(points by rank, e.g. 25,18,15,...; beyond the table 0). No valid result scores 0.
Season standings sum each racer's race points, or only their best ``best_k`` races.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from sim import SIM_VERSION
from sim.library import load_track
from trainer.driving import EvaluationRules, LapResult, summarize

from .db import LeagueError, now_iso, writing
from .evaluation import run_laps
from .freeze import freeze
from .schema import MODES, POINTS_SCHEMES, RANKINGS

DEFAULT_RANK_TABLE = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)

# Test hook (crash tests): called inside the write transaction between the submission row and its laps.
_after_submission_row = None


@dataclass(frozen=True)
class Racer:
    id: int
    alias: str
    display_name: str
    created: str


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


@dataclass(frozen=True)
class Race:
    id: int
    name: str
    season_id: int | None
    track: str
    laps: int
    mode: str
    """``trials`` or ``continuous``."""
    penalty_s: float | None
    """Off-track penalty, s; None: no resets (a lap ends off the road)."""
    ranking: str
    average_of: int
    """Consecutive laps averaged under ``best_average``."""
    opens_at: str | None
    """ISO 8601 UTC; None: open from creation."""
    closes_at: str | None
    state: str
    """``open`` or ``closed`` (set by hand; the window applies as well)."""
    max_submissions: int | None
    created: str

    @property
    def rules(self) -> EvaluationRules:
        return EvaluationRules(laps=self.laps, mode=self.mode, penalty_s=self.penalty_s)

    def status(self, now: datetime | None = None) -> str:
        """``open``; ``closed`` (by hand); ``upcoming`` (before ``opens_at``); ``ended`` (after ``closes_at``)."""
        now = _parse(_iso(now or datetime.now(timezone.utc)))
        if self.state != "open":
            return "closed"
        if self.opens_at and now < _parse(self.opens_at):
            return "upcoming"
        if self.closes_at and now >= _parse(self.closes_at):
            return "ended"
        return "open"

    def closed_reason(self, now: datetime | None = None) -> str | None:
        """Why the race accepts nothing at ``now``, or None while it is open."""
        status = self.status(now)
        return {"open": None, "closed": f"race {self.name!r} is closed",
                "upcoming": f"race {self.name!r} opens at {self.opens_at}",
                "ended": f"race {self.name!r} closed at {self.closes_at}"}[status]


# -- racers and seasons -----------------------------------------------------------------------------
def add_racer(db: sqlite_utils.Database, alias: str, display_name: str | None = None) -> Racer:
    """A new racer. ``alias`` is unique ignoring case (1-64 printable characters)."""
    alias = _name(alias, "alias")
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


def create_season(db: sqlite_utils.Database, name: str, *, points: str = "time_ratio",
                  rank_table: list[int] | tuple[int, ...] | None = None, best_k: int | None = None) -> Season:
    """A season. ``rank_table`` (points by rank, non-increasing) defaults to 25,18,15,12,10,8,6,4,2,1."""
    name = _name(name, "season name")
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


# -- races ------------------------------------------------------------------------------------------
def create_race(db: sqlite_utils.Database, name: str, track: str, *, season: str | None = None, laps: int = 3,
                ranking: str = "best_lap", average_of: int | None = None, mode: str = "trials",
                penalty_s: float | None = 2.0, opens_at: str | None = None, closes_at: str | None = None,
                max_submissions: int | None = None) -> Race:
    """A race on a competition (non-trainable) track; open unless its window says otherwise.

    ``laps`` 1..100; ``average_of`` (``best_average`` only) defaults to min(3, laps);
    ``penalty_s`` 0..60 s or None for no resets; ``opens_at``/``closes_at`` ISO 8601
    (a time without a zone is local time).
    """
    name = _name(name, "race name")
    _check_track(track)
    if ranking not in RANKINGS:
        raise LeagueError(f"ranking: expected one of {', '.join(RANKINGS)}, got {ranking!r}")
    if mode not in MODES:
        raise LeagueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(laps, int) or not 1 <= laps <= 100:
        raise LeagueError(f"laps: expected 1..100, got {laps!r}")
    if ranking == "best_average":
        average_of = min(3, laps) if average_of is None else average_of
        if not isinstance(average_of, int) or not 1 <= average_of <= laps:
            raise LeagueError(f"average of: expected 1..{laps} consecutive laps (the race has {laps}), got {average_of!r}")
    else:
        average_of = 1
    if penalty_s is not None and not 0 <= float(penalty_s) <= 60:
        raise LeagueError(f"penalty: expected 0..60 s, got {penalty_s!r}")
    if max_submissions is not None and (not isinstance(max_submissions, int) or max_submissions < 1):
        raise LeagueError(f"max submissions: expected 1 or more, got {max_submissions!r}")
    opens, closes = parse_time(opens_at, "opens"), parse_time(closes_at, "closes")
    if opens and closes and _parse(closes) <= _parse(opens):
        raise LeagueError(f"closes ({closes}) must be after opens ({opens})")
    season_id = get_season(db, season).id if season else None
    with writing(db):
        if db.execute("SELECT 1 FROM races WHERE name = ?", [name]).fetchone():
            raise LeagueError(f"a race named {name!r} already exists")
        db.execute("INSERT INTO races (name, season_id, track, laps, mode, penalty_s, ranking, average_of, opens_at, "
                   "closes_at, state, max_submissions, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                   [name, season_id, track, laps, mode, None if penalty_s is None else float(penalty_s), ranking,
                    average_of, opens, closes, max_submissions, now_iso()])
    return get_race(db, name)


def get_race(db: sqlite_utils.Database, race: str | int | Race) -> Race:
    if isinstance(race, Race):
        race = race.id
    col = "id" if isinstance(race, int) else "name"
    row = db.execute(f"SELECT {_RACE_COLS} FROM races WHERE {col} = ?", [race]).fetchone()
    if row is None:
        raise LeagueError(f"no race named {race!r}")
    return Race(*row)


def list_races(db: sqlite_utils.Database, season: str | Season | None = None) -> list[Race]:
    if season is None:
        rows = db.execute(f"SELECT {_RACE_COLS} FROM races ORDER BY created, id")
    else:
        rows = db.execute(f"SELECT {_RACE_COLS} FROM races WHERE season_id = ? ORDER BY created, id",
                          [get_season(db, season).id])
    return [Race(*r) for r in rows]


def set_race_state(db: sqlite_utils.Database, race: str | Race, state: str, *, closes_at: str | None = None) -> Race:
    """Open or close a race by hand. Reopening a race whose window has passed needs a new ``closes_at``."""
    r = get_race(db, race)
    if state not in ("open", "closed"):
        raise LeagueError(f"state: expected 'open' or 'closed', got {state!r}")
    closes = parse_time(closes_at, "closes") if closes_at else r.closes_at
    if state == "open" and closes and _parse(closes) <= datetime.now(timezone.utc):
        raise LeagueError(f"race {r.name!r} closed at {closes}; give a new closing time to reopen it")
    with writing(db):
        db.execute("UPDATE races SET state = ?, closes_at = ? WHERE id = ?", [state, closes, r.id])
    return get_race(db, r.id)


# -- submissions ------------------------------------------------------------------------------------
def submit(db: sqlite_utils.Database, race: str | Race, racer: str, model: str, checkpoint: str | int | None = None,
           *, now: datetime | None = None) -> dict:
    """Freeze ``model``, evaluate the frozen copy under the race's rules, record it; returns
    the submission with the racer's standing (``improved``: this submission is now their best)."""
    r, who = get_race(db, race), get_racer(db, racer)
    _check_open(db, r, who, now)  # refuse early; checked again inside the write
    frozen = freeze(model, checkpoint)
    laps = run_laps(frozen.as_model(), "initial", load_track(r.track), r.rules)
    sub_id = record_submission(db, r, who, frozen, laps, now=now)
    row = get_submission(db, sub_id)
    standing = next((s for s in standings(db, r) if s["racer"] == who.alias), None)
    row.update(improved=bool(standing and standing["submission"] == sub_id),
               rank=standing["rank"] if standing else None, best_time_s=standing["time_s"] if standing else None)
    return row


def record_submission(db: sqlite_utils.Database, race: str | Race, racer: str | Racer, frozen, result,
                      *, now: datetime | None = None) -> int:
    """Write one evaluated submission and its laps in one transaction; returns its id.

    ``frozen``: a :class:`league.freeze.FrozenModel` (anything with ``hash, model,
    checkpoint, iteration``). ``result``: an ``Evaluation`` or its list of ``LapResult``,
    one per lap of the race. Refuses (writing nothing) a closed race or a spent limit.
    """
    laps: list[LapResult] = list(getattr(result, "laps", result))
    with writing(db):
        r = get_race(db, race)
        who = racer if isinstance(racer, Racer) else get_racer(db, racer)
        _check_open(db, r, who, now)
        if len(laps) != r.laps:
            raise LeagueError(f"race {r.name!r} needs {r.laps} laps, the result has {len(laps)}")
        if getattr(result, "rules", r.rules) != r.rules:
            raise LeagueError(f"race {r.name!r} runs under {r.rules}; the result was evaluated under {result.rules}")
        ms = [_ms(lap.time_s) if lap.completed else None for lap in laps]
        complete, score, best, total = score_laps(ms, r.ranking, r.average_of)
        summary = summarize(laps)
        cur = db.execute(
            "INSERT INTO submissions (race_id, racer_id, model, checkpoint, iteration, frozen_hash, submitted_at, "
            "complete, score_ms, best_lap_ms, total_ms, laps_completed, off_track, summary, sim_version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.id, who.id, frozen.model, str(frozen.checkpoint), frozen.iteration, frozen.hash,
             _iso(now) if now else now_iso(), int(complete), score, best, total, summary["laps_completed"],
             summary["off_track"], json.dumps(summary), SIM_VERSION])
        sub_id = cur.lastrowid
        if _after_submission_row is not None:
            _after_submission_row(sub_id)
        db.conn.executemany(
            "INSERT INTO laps (submission_id, lap, time_ms, completed, progress, off_track, penalty_ms, crashed, "
            "reversed, immobilized, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sub_id, i + 1, t, int(lap.completed), float(lap.progress), int(lap.off_track), _ms(lap.penalty_s),
              int(lap.crashed), int(lap.reversed), int(lap.immobilized), lap.status) for i, (lap, t) in
             enumerate(zip(laps, ms))])
    return sub_id


def score_laps(ms: list[int | None], ranking: str, average_of: int = 1) -> tuple[bool, int | None, int | None, int | None]:
    """``(complete, score_ms, best_lap_ms, total_ms)`` from lap times in ms (None: not completed).

    Only a submission that completed every lap has a score: its best lap, its best mean of
    ``average_of`` consecutive laps (rounded to the ms), or its total time.
    """
    done = [t for t in ms if t is not None]
    best = min(done) if done else None
    complete = bool(ms) and len(done) == len(ms)
    total = sum(done) if complete else None
    if not complete:
        return False, None, best, None
    if ranking == "best_lap":
        score = best
    elif ranking == "total_time":
        score = total
    else:
        score = min(_half_up(sum(ms[i:i + average_of]) / average_of) for i in range(len(ms) - average_of + 1))
    return True, score, best, total


def get_submission(db: sqlite_utils.Database, sub_id: int) -> dict:
    row = next(db.query("SELECT s.*, r.alias AS racer, races.name AS race FROM submissions s JOIN racers r ON "
                        "r.id = s.racer_id JOIN races ON races.id = s.race_id WHERE s.id = ?", [sub_id]), None)
    if row is None:
        raise LeagueError(f"no submission {sub_id}")
    row["summary"] = json.loads(row["summary"])
    row["laps"] = list(db.query("SELECT lap, time_ms, completed, progress, off_track, penalty_ms, status FROM laps "
                                "WHERE submission_id = ? ORDER BY lap", [sub_id]))
    row["time_s"] = None if row["score_ms"] is None else row["score_ms"] / 1000
    return row


# -- standings and points ---------------------------------------------------------------------------
_STANDINGS_SQL = """
    WITH tries AS (
        SELECT id, racer_id, score_ms, submitted_at, model, checkpoint, iteration,
               ROW_NUMBER() OVER (PARTITION BY racer_id ORDER BY score_ms IS NULL, score_ms, id) AS pick,
               COUNT(*) OVER (PARTITION BY racer_id) AS tries
        FROM submissions WHERE race_id = ?
    )
    SELECT RANK() OVER (ORDER BY t.score_ms IS NULL, t.score_ms) AS rank, r.alias, r.display_name, t.score_ms,
           t.id, t.submitted_at, t.model, t.checkpoint, t.iteration, t.tries
    FROM tries t JOIN racers r ON r.id = t.racer_id
    WHERE t.pick = 1
    ORDER BY t.score_ms IS NULL, t.score_ms, t.id
"""


def standings(db: sqlite_utils.Database, race: str | Race) -> list[dict]:
    """One row per racer who submitted, best first: ``rank, racer, display_name, time_s, time_ms,
    gap_s, points, submission, submitted_at, model, checkpoint, iteration, submissions``."""
    r = get_race(db, race)
    season = get_season(db, r.season_id) if r.season_id is not None else None
    rows = db.execute(_STANDINGS_SQL, [r.id]).fetchall()
    leader = rows[0][3] if rows else None
    out = []
    for rank, alias, display, score, sub, at, model, ckpt, it, tries in rows:
        out.append({"rank": rank, "racer": alias, "display_name": display,
                    "time_s": None if score is None else score / 1000, "time_ms": score,
                    "gap_s": None if score is None else (score - leader) / 1000,
                    "points": race_points(rank, score, leader, season),
                    "submission": sub, "submitted_at": at, "model": model, "checkpoint": ckpt,
                    "iteration": it, "submissions": tries})
    return out


def race_points(rank: int, score_ms: int | None, winner_ms: int | None, season: Season | None) -> int:
    """Points for one standing: 0 without a valid result; else by the season's scheme (time ratio by default)."""
    if score_ms is None or winner_ms is None:
        return 0
    if season is not None and season.points == "rank_table":
        table = season.rank_table or DEFAULT_RANK_TABLE
        return int(table[rank - 1]) if rank <= len(table) else 0
    return _half_up(1000 * winner_ms / score_ms)


def season_standings(db: sqlite_utils.Database, season: str | Season) -> list[dict]:
    """Racers by total points over the season's races: ``rank, racer, display_name, points,
    races`` (entered), ``counted`` (races summed, at most ``best_k``), ``race_points`` {race: points}.
    Equal totals share a rank and are listed by alias."""
    s = get_season(db, season)
    racers: dict[str, dict] = {}
    for race in list_races(db, s):
        for row in standings(db, race):
            e = racers.setdefault(row["racer"], {"racer": row["racer"], "display_name": row["display_name"],
                                                 "race_points": {}})
            e["race_points"][race.name] = row["points"]
    for e in racers.values():
        pts = sorted(e["race_points"].values(), reverse=True)
        counted = pts[: s.best_k] if s.best_k else pts
        e.update(points=sum(counted), races=len(pts), counted=len(counted))
    rows = sorted(racers.values(), key=lambda e: (-e["points"], e["racer"].lower()))
    totals = [e["points"] for e in rows]
    return [{"rank": 1 + sum(1 for t in totals if t > e["points"]), **e} for e in rows]


# -- helpers ----------------------------------------------------------------------------------------
_RACE_COLS = ("id, name, season_id, track, laps, mode, penalty_s, ranking, average_of, opens_at, closes_at, state, "
              "max_submissions, created")


def _check_open(db: sqlite_utils.Database, race: Race, racer: Racer, now: datetime | None) -> None:
    why = race.closed_reason(now)
    if why:
        raise LeagueError(f"{why}: it accepts no submissions")
    if race.max_submissions is not None:
        n = db.execute("SELECT COUNT(*) FROM submissions WHERE race_id = ? AND racer_id = ?",
                       [race.id, racer.id]).fetchone()[0]
        if n >= race.max_submissions:
            raise LeagueError(f"racer {racer.alias!r} has used all {race.max_submissions} submissions "
                              f"to race {race.name!r}")


def _check_track(name: str) -> None:
    from sim.library import list_tracks

    infos = {t.name: t for t in list_tracks()}
    races_on = ", ".join(n for n, t in infos.items() if not t.trainable) or "none"
    info = infos.get(name)
    if info is None:
        raise LeagueError(f"no track named {name!r}; competition tracks: {races_on}")
    if info.trainable:
        raise LeagueError(f"track {name!r} is trainable: a race needs a competition track nobody trains on "
                          f"({races_on})")


def _name(text: str, what: str) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not 1 <= len(text) <= 64 or not text.isprintable():
        raise LeagueError(f"{what}: expected 1-64 printable characters, got {text!r}")
    return text


def parse_time(text: str | None, what: str) -> str | None:
    """ISO 8601 text -> ISO UTC with seconds (a time without a zone is local time)."""
    if text is None or text == "":
        return None
    try:
        t = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise LeagueError(f"{what}: expected an ISO date and time such as 2026-05-01T18:00, got {text!r}") from None
    return _iso(t)


def _iso(t: datetime) -> str:
    t = t.astimezone() if t.tzinfo is None else t  # naive = local time
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else _half_up(float(seconds) * 1000)


def _half_up(x: float) -> int:
    """Round halves up (Python's round() rounds them to even: 0.5 -> 0)."""
    return int(math.floor(x + 0.5))
