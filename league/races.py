"""The virtual circuit: submissions and standings (racers: ``league.racers``; races and their rules,
race type included: ``league.race_setup``; seasons and points: ``league.seasons``).

A submission freezes the model (``league.freeze``), evaluates the frozen copy on the
race's competition track under the race's rules (about a second, outside any
transaction), then :func:`record_submission` writes the submission and its laps in one
``BEGIN IMMEDIATE`` transaction, checking again that the race is open and the racer has
submissions left. A process killed at any point leaves the submission wholly there or
not at all; running the submission again is always safe. A big league can queue its
submissions instead (frozen and seeded at once, evaluated later in bulk, on Ray if wanted:
``league.queue``, ``league.queue_eval``); each is recorded here all the same.

Ranking (conventions section 8): each racer's standing is their best submission by the
race's ranking time (``best_lap``, ``best_average`` of ``average_of`` consecutive laps, or
``total_time``; lower is better). Only a submission that completed every lap has a time;
a later one replaces the standing only if strictly better. rank = 1 + the number of
racers strictly better; ties share the rank and the points, the earlier result listed
first; racers with no valid result rank after everyone with one. Standings are computed
in SQL with window functions, so 10,000 submissions rank in milliseconds; the ranks are
those of ``league.laptime.ranks`` (the same rule as race day). Lap times in ms come from
``league.laptime``. Each standing carries its race points (``league.seasons.race_points``);
season standings sum them.

In a race with objects (object avoidance, head-to-bot) every lap records its ``collisions``
(each one held the car for the race's collision penalty, which is in the lap time); a
submission's summary, its rows and its standing carry the total.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlite_utils

from sim import SIM_VERSION
from sim.library import load_track
from trainer.driving import LapResult, summarize, with_seed

from .db import LeagueError, now_iso, writing
from .laptime import best_lap_ms, ranking_time_ms, to_ms
from .race_setup import Race, create_race, get_race, iso_utc, list_races, parse_time, set_race_state
from .racers import Racer, add_racer, get_racer, list_racers
from .seasons import Season, get_season, race_points

__all__ = ["Race", "Racer", "add_racer", "create_race", "get_race", "get_racer", "get_submission", "list_races",
           "list_racers", "parse_time", "record_submission", "score_laps", "season_standings", "set_race_state",
           "standings", "submit"]


# -- submissions ------------------------------------------------------------------------------------
def submit(db: sqlite_utils.Database, race: str | Race, racer: str, model, checkpoint: str | int | None = None,
           *, models=None, now: datetime | None = None) -> dict:
    """Freeze ``model``, evaluate the frozen copy under the race's rules, record it; returns
    the submission with the racer's standing (``improved``: this submission is now their best).

    ``model``: a ``trainer.model_store.Model``, or a name looked up in ``models`` (the
    front-end's ``ModelStore``; ``league.freeze.resolve_model``).
    """
    # Imported here: only a submission drives a policy, and the read-only commands start faster without them.
    from .evaluation import run_laps
    from .freeze import freeze

    r, who = get_race(db, race), get_racer(db, racer)
    _check_open(db, r, who, now)  # refuse early; checked again inside the write
    frozen = freeze(model, checkpoint, models=models)
    laps = run_laps(frozen.as_model(), "initial", load_track(r.track), with_seed(r.rules))
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
    one per lap of the race; its noise seed (the laps' ``seed``) is recorded with it so
    :func:`reproduce_submission` can drive the same laps again. Refuses (writing nothing) a
    closed race or a spent limit.
    """
    laps: list[LapResult] = list(getattr(result, "laps", result))
    with writing(db):
        r = get_race(db, race)
        who = racer if isinstance(racer, Racer) else get_racer(db, racer)
        _check_open(db, r, who, now)
        if len(laps) != r.laps:
            raise LeagueError(f"race {r.name!r} needs {r.laps} laps, the result has {len(laps)}")
        if not r.rules.same_race_rules(getattr(result, "rules", r.rules)):
            raise LeagueError(f"race {r.name!r} runs under {r.rules}; the result was evaluated under {result.rules}")
        ms = [to_ms(lap.time_s) if lap.completed else None for lap in laps]
        complete, score, best, total = score_laps(ms, r.ranking, r.average_of)
        summary = summarize(laps)
        cur = db.execute(
            "INSERT INTO submissions (race_id, racer_id, model, checkpoint, iteration, frozen_hash, submitted_at, "
            "complete, score_ms, best_lap_ms, total_ms, laps_completed, off_track, summary, sim_version, seed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.id, who.id, frozen.model, str(frozen.checkpoint), frozen.iteration, frozen.hash,
             iso_utc(now) if now else now_iso(), int(complete), score, best, total, summary["laps_completed"],
             summary["off_track"], json.dumps(summary), SIM_VERSION, summary["seed"]])
        sub_id = cur.lastrowid
        db.conn.executemany(
            "INSERT INTO laps (submission_id, lap, time_ms, completed, progress, off_track, penalty_ms, crashed, "
            "reversed, immobilized, status, collisions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sub_id, i + 1, t, int(lap.completed), float(lap.progress), int(lap.off_track), to_ms(lap.penalty_s),
              int(lap.crashed), int(lap.reversed), int(lap.immobilized), lap.status, int(lap.collisions))
             for i, (lap, t) in enumerate(zip(laps, ms))])
    return sub_id


def score_laps(ms: list[int | None], ranking: str, average_of: int = 1) -> tuple[bool, int | None, int | None, int | None]:
    """``(complete, score_ms, best_lap_ms, total_ms)`` from lap times in ms (None: not completed).

    Only a submission that completed every lap has a score: its ranking time
    (``league.laptime.ranking_time_ms``) and its total.
    """
    complete = bool(ms) and all(t is not None for t in ms)
    if not complete:
        return False, None, best_lap_ms(ms), None
    return True, ranking_time_ms(ms, ranking, average_of), best_lap_ms(ms), sum(ms)


def get_submission(db: sqlite_utils.Database, sub_id: int) -> dict:
    row = next(db.query("SELECT s.*, r.alias AS racer, races.name AS race FROM submissions s JOIN racers r ON "
                        "r.id = s.racer_id JOIN races ON races.id = s.race_id WHERE s.id = ?", [sub_id]), None)
    if row is None:
        raise LeagueError(f"no submission {sub_id}")
    row["summary"] = json.loads(row["summary"])
    row["laps"] = list(db.query("SELECT lap, time_ms, completed, progress, off_track, penalty_ms, status, collisions "
                                "FROM laps WHERE submission_id = ? ORDER BY lap", [sub_id]))
    row["collisions"] = sum(lap["collisions"] for lap in row["laps"])
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
           t.id, t.submitted_at, t.model, t.checkpoint, t.iteration, t.tries,
           (SELECT COALESCE(SUM(l.collisions), 0) FROM laps l WHERE l.submission_id = t.id) AS collisions
    FROM tries t JOIN racers r ON r.id = t.racer_id
    WHERE t.pick = 1
    ORDER BY t.score_ms IS NULL, t.score_ms, t.id
"""


def standings(db: sqlite_utils.Database, race: str | Race) -> list[dict]:
    """One row per racer who submitted, best first: ``rank, racer, display_name, time_s, time_ms,
    gap_s, points, submission, submitted_at, model, checkpoint, iteration, submissions, collisions``
    (``collisions``: of the standing submission's laps)."""
    r = get_race(db, race)
    season = get_season(db, r.season_id) if r.season_id is not None else None
    rows = db.execute(_STANDINGS_SQL, [r.id]).fetchall()
    leader = rows[0][3] if rows else None
    out = []
    for rank, alias, display, score, sub, at, model, ckpt, it, tries, hits in rows:
        out.append({"rank": rank, "racer": alias, "display_name": display,
                    "time_s": None if score is None else score / 1000, "time_ms": score,
                    "gap_s": None if score is None else (score - leader) / 1000,
                    "points": race_points(rank, score, leader, season),
                    "submission": sub, "submitted_at": at, "model": model, "checkpoint": ckpt,
                    "iteration": it, "submissions": tries, "collisions": hits})
    return out


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
