"""The virtual circuit: racers, races, submissions and standings (seasons and points: ``league.seasons``).

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
in SQL with window functions, so 10,000 submissions rank in milliseconds; the ranks are
those of ``league.laptime.ranks`` (the same rule as race day). Lap times in ms come from
``league.laptime``. Each standing carries its race points (``league.seasons.race_points``);
season standings sum them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from sim import SIM_VERSION
from sim.library import load_track
from trainer.driving import EvaluationRules, LapResult, summarize, with_seed

from .db import LeagueError, now_iso, plain_name, writing
from .laptime import RACE_RANKINGS, Ranking, RankingError, best_lap_ms, ranking_time_ms, to_ms
from .schema import MODES
from .seasons import Season, get_season, race_points

@dataclass(frozen=True)
class Racer:
    id: int
    alias: str
    display_name: str
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


# -- racers -----------------------------------------------------------------------------
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
    name = plain_name(name, "race name")
    _check_track(track)
    try:
        ranking = Ranking.parse(ranking, RACE_RANKINGS).value
    except RankingError as exc:
        raise LeagueError(str(exc)) from None
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
             _iso(now) if now else now_iso(), int(complete), score, best, total, summary["laps_completed"],
             summary["off_track"], json.dumps(summary), SIM_VERSION, summary["seed"]])
        sub_id = cur.lastrowid
        db.conn.executemany(
            "INSERT INTO laps (submission_id, lap, time_ms, completed, progress, off_track, penalty_ms, crashed, "
            "reversed, immobilized, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sub_id, i + 1, t, int(lap.completed), float(lap.progress), int(lap.off_track), to_ms(lap.penalty_s),
              int(lap.crashed), int(lap.reversed), int(lap.immobilized), lap.status) for i, (lap, t) in
             enumerate(zip(laps, ms))])
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
