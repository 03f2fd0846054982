"""A virtual-circuit race and its set-up: create (every rule checked), read, open and close races.

A race fixes what decides its laps: the competition track, the evaluation rules (laps, trials
or continuous, off-track penalty) and its race type: DeepRacer's ``RACE_TYPE`` in lower case
(``time_trial``, ``object_avoidance``, ``head_to_bot``) with the type's settings under
DeepRacer's names (``NUMBER_OF_OBSTACLES``, ``BOT_CAR_SPEED`` ...; :mod:`trainer.race`, which
checks them) and the collision penalty in seconds (DeepRacer-for-Cloud's
``DR_EVAL_COLLISION_PENALTY``, :data:`trainer.crashes.DEFAULT_COLLISION_PENALTY_S`). Every
submission is evaluated among the race's objects (:attr:`Race.rules`). Races created before race
types existed are time trials (migration ``league-004-race-type``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlite_utils

from trainer.crashes import DEFAULT_COLLISION_PENALTY_S
from trainer.driving import EvaluationRules
from trainer.race import RaceTypeError, objects_config, race_settings

from .db import LeagueError, now_iso, plain_name, writing
from .laptime import RACE_RANKINGS, Ranking, RankingError
from .schema import MODES
from .seasons import Season, get_season


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
    race_type: str = "time_trial"
    """DeepRacer's ``RACE_TYPE`` in lower case: ``time_trial``, ``object_avoidance`` or ``head_to_bot``."""
    race_settings: dict = field(default_factory=dict)
    """The race type's settings by DeepRacer name (``NUMBER_OF_OBSTACLES`` ...); empty for a time trial."""
    collision_penalty_s: float = DEFAULT_COLLISION_PENALTY_S
    """Seconds a car is held after running into an object, counted in the lap time."""

    @property
    def rules(self) -> EvaluationRules:
        return EvaluationRules(laps=self.laps, mode=self.mode, penalty_s=self.penalty_s,
                               objects=objects_config(self.race_type, self.race_settings),
                               collision_penalty_s=self.collision_penalty_s)

    def status(self, now: datetime | None = None) -> str:
        """``open``; ``closed`` (by hand); ``upcoming`` (before ``opens_at``); ``ended`` (after ``closes_at``)."""
        now = _parse(iso_utc(now or datetime.now(timezone.utc)))
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


RACE_SETTINGS = ("name", "season", "track", "laps", "mode", "penalty_s", "ranking", "average_of", "opens_at",
                 "closes_at", "max_submissions", "race_type", "race_settings", "collision_penalty_s")
"""The settings of a race, as :func:`create_race` takes them (``season``: a name, an id or None)."""


def create_race(db: sqlite_utils.Database, name: str, track: str, *, season: str | None = None, laps: int = 3,
                ranking: str = "best_lap", average_of: int | None = None, mode: str = "trials",
                penalty_s: float | None = 2.0, opens_at: str | None = None, closes_at: str | None = None,
                max_submissions: int | None = None, race_type: str = "time_trial",
                race_settings: dict | None = None, collision_penalty_s: float | None = None) -> Race:
    """A race on a competition (non-trainable) track; open unless its window says otherwise.

    ``laps`` 1..100; ``ranking`` one of :data:`league.laptime.RACE_RANKINGS` (``most_laps`` and
    ``first_to`` need a timed race-day session and are refused); ``average_of`` (``best_average``
    only) defaults to min(3, laps); ``penalty_s`` 0..60 s or None for no resets;
    ``opens_at``/``closes_at`` ISO 8601 (a time without a zone is local time). ``race_type`` and
    ``race_settings`` (DeepRacer names) as :func:`trainer.race.objects_config` reads them;
    ``collision_penalty_s`` 0..60 s (default 5, DeepRacer-for-Cloud's), only for a race with objects.
    Every setting goes through :func:`check_race_settings`.
    """
    row = check_race_settings(db, dict(
        name=name, season=season, track=track, laps=laps, mode=mode, penalty_s=penalty_s, ranking=ranking,
        average_of=average_of, opens_at=opens_at, closes_at=closes_at, max_submissions=max_submissions,
        race_type=race_type, race_settings=race_settings, collision_penalty_s=collision_penalty_s))
    row = {**row, "race_settings": json.dumps(row["race_settings"]), "state": "open", "created": now_iso()}
    with writing(db):
        if db.execute("SELECT 1 FROM races WHERE name = ?", [row["name"]]).fetchone():
            raise LeagueError(f"a race named {row['name']!r} already exists")
        db.execute(f"INSERT INTO races ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    return get_race(db, row["name"])


def check_race_settings(db: sqlite_utils.Database, settings: dict) -> dict:
    """Every setting of :data:`RACE_SETTINGS` checked and as the ``races`` table stores it (``season``
    becomes ``season_id``, times ISO UTC, race settings complete). Raises :class:`LeagueError`
    naming the setting and what it takes."""
    s = dict(settings)
    name = plain_name(s["name"], "race name")
    _check_track(s["track"])
    ranking = parse_race_ranking(s["ranking"])
    laps, mode, penalty_s, average_of = s["laps"], s["mode"], s["penalty_s"], s.get("average_of")
    if mode not in MODES:
        raise LeagueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if not isinstance(laps, int) or not 1 <= laps <= 100:
        raise LeagueError(f"laps: expected 1..100, got {laps!r}")
    if ranking is Ranking.BEST_AVERAGE:
        average_of = min(3, laps) if average_of is None else average_of
        if not isinstance(average_of, int) or not 1 <= average_of <= laps:
            raise LeagueError(f"average of: expected 1..{laps} consecutive laps (the race has {laps}), got {average_of!r}")
    else:
        average_of = 1
    if penalty_s is not None and not 0 <= float(penalty_s) <= 60:
        raise LeagueError(f"penalty: expected 0..60 s, got {penalty_s!r}")
    most = s.get("max_submissions")
    if most is not None and (not isinstance(most, int) or most < 1):
        raise LeagueError(f"max submissions: expected 1 or more, got {most!r}")
    race_type, race_settings_, collision_s = check_race_type(s["race_type"], s.get("race_settings"),
                                                             s.get("collision_penalty_s"))
    opens, closes = parse_time(s.get("opens_at"), "opens"), parse_time(s.get("closes_at"), "closes")
    if opens and closes and _parse(closes) <= _parse(opens):
        raise LeagueError(f"closes ({closes}) must be after opens ({opens})")
    season = s.get("season")
    return {"name": name, "season_id": get_season(db, season).id if season not in (None, "") else None,
            "track": s["track"], "laps": laps, "mode": mode,
            "penalty_s": None if penalty_s is None else float(penalty_s),
            "ranking": ranking.value, "average_of": average_of, "opens_at": opens, "closes_at": closes,
            "max_submissions": most, "race_type": race_type, "race_settings": race_settings_,
            "collision_penalty_s": collision_s}


def parse_race_ranking(text: str | Ranking) -> Ranking:
    """A league race's ranking (:data:`league.laptime.RACE_RANKINGS`); the race-day-only formats are
    refused with the reason."""
    try:
        return Ranking.parse(text, RACE_RANKINGS)
    except RankingError as exc:
        try:
            word = Ranking.parse(text).value
        except RankingError:
            raise LeagueError(str(exc)) from None
        raise LeagueError(f"ranking: {word} needs a timed race-day session; a league race evaluates a fixed number "
                          f"of laps: use {', '.join(r.value for r in RACE_RANKINGS)}") from None


def check_race_type(race_type: str, settings: dict | None,
                    collision_penalty_s: float | None) -> tuple[str, dict, float]:
    """``(race_type, settings, collision_penalty_s)`` as a race stores them: the settings complete
    (every setting of the type by DeepRacer name, :func:`trainer.race.race_settings`), the penalty
    defaulted. Raises :class:`LeagueError` naming the field."""
    try:
        objects = objects_config(str(race_type), settings)
    except RaceTypeError as exc:
        raise LeagueError(str(exc)) from None
    if collision_penalty_s is None:
        collision_penalty_s = DEFAULT_COLLISION_PENALTY_S
    elif objects is None and float(collision_penalty_s) != DEFAULT_COLLISION_PENALTY_S:
        raise LeagueError("collision penalty: a time trial has no objects to collide with; "
                          "choose object_avoidance or head_to_bot, or leave the penalty out")
    try:
        collision_penalty_s = float(collision_penalty_s)
    except (TypeError, ValueError):
        raise LeagueError(f"collision penalty: expected 0..60 s, got {collision_penalty_s!r}") from None
    if not 0 <= collision_penalty_s <= 60:
        raise LeagueError(f"collision penalty: expected 0..60 s, got {collision_penalty_s!r}")
    return race_type, race_settings(race_type, objects), collision_penalty_s


def get_race(db: sqlite_utils.Database, race: str | int | Race) -> Race:
    if isinstance(race, Race):
        race = race.id
    col = "id" if isinstance(race, int) else "name"
    row = db.execute(f"SELECT {_RACE_COLS} FROM races WHERE {col} = ?", [race]).fetchone()
    if row is None:
        raise LeagueError(f"no race named {race!r}")
    return _race(row)


def list_races(db: sqlite_utils.Database, season: str | Season | None = None) -> list[Race]:
    if season is None:
        rows = db.execute(f"SELECT {_RACE_COLS} FROM races ORDER BY created, id")
    else:
        rows = db.execute(f"SELECT {_RACE_COLS} FROM races WHERE season_id = ? ORDER BY created, id",
                          [get_season(db, season).id])
    return [_race(r) for r in rows]


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


_RACE_COLS = ("id, name, season_id, track, laps, mode, penalty_s, ranking, average_of, opens_at, closes_at, state, "
              "max_submissions, created, race_type, race_settings, collision_penalty_s")


def _race(row) -> Race:
    *head, race_type, settings, collision_s = row
    return Race(*head, race_type=race_type, race_settings=json.loads(settings), collision_penalty_s=collision_s)


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
    return iso_utc(t)


def iso_utc(t: datetime) -> str:
    """``t`` as ISO 8601 UTC with seconds (a naive ``t`` is local time)."""
    t = t.astimezone() if t.tzinfo is None else t  # naive = local time
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
