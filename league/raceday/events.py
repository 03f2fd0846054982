"""Race-day events: a track, a session length, a ranking and the lap rules (``raceday_events``).

An event has a track, a session length (default 4:00, allowed 1-10 minutes as event
tools allow), a ranking (``league.laptime.Ranking``: ``best_lap``, the fastest valid lap;
``best_average`` of N consecutive valid laps; ``total_time`` of the first N valid laps;
``most_laps``; ``first_to`` X valid laps, which ends the session), a limit of resets per
lap and, optionally, a cap on each racer's runs (``max_runs``: DREM gives each racer 3;
None: no cap; counted by ``league.raceday.entries``).

An event may run on several tracks (DREM's multi-track events): :attr:`RaceDayEvent.tracks`
in order, the first being :attr:`RaceDayEvent.track` (``raceday_event_tracks``). Each session
runs on one of them (:meth:`RaceDayEvent.on_track`: the event as a session on that track sees
it) and records it; the boards are per track and combined (``league.raceday.board``). The runs
cap counts per track, so each track gives every racer the same runs.

Every setting is checked by one validator, :func:`check_event_settings`, when an event is
created and when it is edited (``league.raceday.event_edits.update_event``).

It has a race type too (``trainer.race``: DeepRacer's time trial, object avoidance or
head-to-bot, with its settings under DeepRacer's names) and a collision penalty: in a simulated
session of an object-avoidance or head-to-bot event the car drives among the event's boxes or
bot cars, and a collision holds it for the penalty and counts as a reset
(``league.raceday.simulated``). Events made before race types existed are time trials.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import sqlite_utils

from sim.library import load_track
from sim.objects import ObjectsConfig
from trainer.crashes import DEFAULT_COLLISION_PENALTY_S
from trainer.race import RaceTypeError, describe, objects_config
from trainer.race import race_settings as complete_settings

from ..db import LeagueError, now_iso, writing
from ..laptime import RACEDAY_RANKINGS, Ranking, RankingError
from ..timing import SessionTimer

LENGTH_RANGE_S = (60.0, 600.0)
DEFAULT_LENGTH_S = 240.0
ALIAS_RULE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
"""An alias or event name: 1-64 characters, no control characters."""


@dataclass(frozen=True)
class RaceDayEvent:
    """A race-day event as stored in ``raceday_events``."""

    id: int
    name: str
    track: str
    length_s: float
    """Session length on the clock, s."""
    ranking: str
    """``best_lap`` or ``best_average`` (``league.laptime.Ranking`` values)."""
    average_of: int
    """Consecutive valid laps in an average."""
    resets_limit: int | None
    """Most resets a valid lap may have; None: no limit."""
    min_lap_s: float
    """Captures sooner than this after the lap start are double triggers, s."""
    penalty_s: float
    """How long a simulated car is held after an off-track before it is put back, s."""
    created: str
    race_type: str = "time_trial"
    """DeepRacer's race type in lower case (``trainer.race.RACE_TYPES``)."""
    race_settings: dict = field(default_factory=dict)
    """The race type's settings by DeepRacer name (``NUMBER_OF_OBSTACLES``, ``BOT_CAR_SPEED`` ...)."""
    collision_penalty_s: float = DEFAULT_COLLISION_PENALTY_S
    """How long a simulated car is held after running into an object, s."""
    target_laps: int | None = None
    """The N of ``total_time`` (first N valid laps), the X of ``first_to``; None for other rankings."""
    max_runs: int | None = None
    """Sessions each racer may run on each track (submitted or DNF); None: no cap."""
    tracks: tuple[str, ...] = ()
    """Every track the event runs on, in order; the first is the event's ``track`` (() given: ``(track,)``)."""

    def __post_init__(self):
        object.__setattr__(self, "tracks", tuple(self.tracks) or (self.track,))

    @property
    def multi_track(self) -> bool:
        return len(self.tracks) > 1

    def on_track(self, track: str | None) -> RaceDayEvent:
        """The event as a session on ``track`` sees it: :attr:`track` is that track (None: the first).
        Raises :class:`LeagueError` for a track the event does not run on."""
        return replace(self, track=self.check_track(track))

    def check_track(self, track: str | None) -> str:
        """``track`` if the event runs on it, the first track for None; else :class:`LeagueError`."""
        if track is None:
            return self.tracks[0]
        if track not in self.tracks:
            raise LeagueError(f"track: {self.name!r} runs on {', '.join(self.tracks)}, not {track!r}")
        return track

    @property
    def objects(self) -> ObjectsConfig | None:
        """The boxes or bot cars a simulated session drives among; None for a time trial."""
        return objects_config(self.race_type, self.race_settings)

    def describe_race_type(self) -> str:
        """The race type in words (``trainer.race.describe``): ``object avoidance: 3 obstacles, ...``."""
        return describe(self.race_type, self.race_settings)

    def new_timer(self) -> SessionTimer:
        """A timer with this event's rules, ready to start."""
        return SessionTimer(self.length_s, self.resets_limit, self.min_lap_s, self.ranking, self.average_of,
                            self.target_laps)

    def describe_ranking(self) -> str:
        """The ranking in words: ``fastest valid lap``, ``best average of 3 consecutive valid laps``,
        ``total time of the first 5 valid laps``, ``most valid laps``, ``first to 10 valid laps``."""
        n = self.target_laps
        return {Ranking.BEST_LAP: "fastest valid lap",
                Ranking.BEST_AVERAGE: f"best average of {self.average_of} consecutive valid laps",
                Ranking.TOTAL_TIME: f"total time of the first {n} valid laps",
                Ranking.MOST_LAPS: "most valid laps (a tie: the earlier last lap)",
                Ranking.FIRST_TO: f"first to {n} valid laps"}[Ranking(self.ranking)]

    def describe_runs(self) -> str:
        """The runs cap in words: ``3 runs per racer`` (``... per track`` on several tracks) or ``no cap on runs``."""
        if self.max_runs is None:
            return "no cap on runs"
        return f"{self.max_runs} run{'s' if self.max_runs != 1 else ''} per racer" + (
            " per track" if self.multi_track else "")

    def as_dict(self) -> dict:
        return asdict(self)


def parse_length(text: str | float | int) -> float:
    """A session length as ``M:SS`` or seconds (``4:00``, ``240``, ``240s``) -> seconds."""
    s = str(text).strip().lower().removesuffix("s")
    m = re.fullmatch(r"(\d+):([0-5]\d)", s)
    try:
        return float(int(m.group(1)) * 60 + int(m.group(2))) if m else float(s)
    except ValueError:
        raise LeagueError(f"session length: expected M:SS or seconds (e.g. 4:00 or 240), got {text!r}") from None


def parse_ranking(text: str | Ranking) -> Ranking:
    """A race-day ranking (any :class:`league.laptime.Ranking`; the older ``fastest``/``average`` too)."""
    try:
        return Ranking.parse(text, RACEDAY_RANKINGS)
    except RankingError as exc:
        raise LeagueError(str(exc)) from None


EVENT_SETTINGS = ("name", "track", "length_s", "ranking", "average_of", "target_laps", "resets_limit", "min_lap_s",
                  "penalty_s", "race_type", "race_settings", "collision_penalty_s", "max_runs", "tracks")
"""The settings of an event, as :func:`create_event` takes them and ``raceday_events`` stores them
(``tracks`` in ``raceday_event_tracks``)."""
MAX_TRACKS = 8
TARGET_LAPS_RANGE = (1, 200)
MAX_RUNS_RANGE = (1, 100)


def create_event(db: sqlite_utils.Database, name: str, track: str, *, length_s: float = DEFAULT_LENGTH_S,
                 ranking: str | Ranking = Ranking.BEST_LAP, average_of: int = 3, resets_limit: int | None = 3,
                 min_lap_s: float = 1.0, penalty_s: float = 2.0, race_type: str = "time_trial",
                 race_settings: dict | None = None, collision_penalty_s: float | None = None,
                 target_laps: int | None = None, max_runs: int | None = None,
                 tracks: Sequence[str] | None = None) -> RaceDayEvent:
    """A new event. Any track may host one (a race day is not a training run).

    ``race_type`` and ``race_settings`` (DeepRacer names) are checked by ``trainer.race.objects_config``,
    whose refusal names the setting; the settings are stored complete (every setting of the race type).
    ``collision_penalty_s``: 0..60 s, default DeepRacer-for-Cloud's 5 s. ``target_laps``: the N of
    ``total_time``, the X of ``first_to`` (needed by those two). ``max_runs``: sessions per racer, None:
    no cap. ``tracks``: every track in order for a multi-track event (``track`` comes first whether
    listed or not; default: ``track`` alone). Every setting goes through :func:`check_event_settings`."""
    settings = check_event_settings(dict(
        name=name, track=track, length_s=length_s, ranking=ranking, average_of=average_of, target_laps=target_laps,
        resets_limit=resets_limit, min_lap_s=min_lap_s, penalty_s=penalty_s, race_type=race_type,
        race_settings=race_settings, collision_penalty_s=collision_penalty_s, max_runs=max_runs, tracks=tracks))
    row = {**settings, "race_settings": json.dumps(settings["race_settings"]), "created": now_iso()}
    del row["tracks"]
    with writing(db):
        if db.execute("SELECT 1 FROM raceday_events WHERE name = ?", [row["name"]]).fetchone():
            raise LeagueError(f"an event named {row['name']!r} already exists")
        cur = db.conn.execute(f"INSERT INTO raceday_events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                              list(row.values()))
        event_id = cur.lastrowid
        write_tracks(db, event_id, settings["tracks"])
    return get_event(db, event_id)


def write_tracks(db: sqlite_utils.Database, event_id: int, tracks: Sequence[str]) -> None:
    """Store the event's tracks in order (inside the caller's transaction); the first is also
    ``raceday_events.track``."""
    db.conn.execute("DELETE FROM raceday_event_tracks WHERE event_id = ?", [event_id])
    for position, track in enumerate(tracks, start=1):
        db.conn.execute("INSERT INTO raceday_event_tracks (event_id, track, position) VALUES (?, ?, ?)",
                        [event_id, track, position])
    db.conn.execute("UPDATE raceday_events SET track = ? WHERE id = ?", [tracks[0], event_id])


def check_event_settings(settings: dict) -> dict:
    """Every setting of :data:`EVENT_SETTINGS` checked and as stored (ranking as its word, race settings
    complete, ``target_laps`` None unless the ranking counts laps). Raises :class:`LeagueError` naming
    the setting and what it takes."""
    s = dict(settings)
    s["name"] = (s.get("name") or "").strip()
    if not ALIAS_RULE.match(s["name"]):
        raise LeagueError("event name: expected 1-64 printable characters")
    s["tracks"] = _check_tracks(s["track"], s.get("tracks"))
    lo, hi = LENGTH_RANGE_S
    length_s = s["length_s"]
    if not (isinstance(length_s, (int, float)) and lo <= length_s <= hi):
        raise LeagueError(f"session length: must be {lo:.0f}..{hi:.0f} s (1-10 minutes), got {length_s}")
    ranking = parse_ranking(s["ranking"])
    average_of, resets_limit = s["average_of"], s["resets_limit"]
    if not isinstance(average_of, int) or not 2 <= average_of <= 10:
        raise LeagueError(f"average of: expected 2..10 consecutive laps, got {average_of!r}")
    target = _check_count(s.get("target_laps"), TARGET_LAPS_RANGE, "target laps")
    if ranking.needs_target and target is None:
        raise LeagueError(f"target laps: {ranking.value} counts laps: give how many (--laps N)")
    s["target_laps"] = target if ranking.needs_target else None  # kept only where the ranking reads it
    s["max_runs"] = _check_count(s.get("max_runs"), MAX_RUNS_RANGE, "max runs")
    if resets_limit is not None and (not isinstance(resets_limit, int) or resets_limit < 0):
        raise LeagueError(f"resets limit: expected a whole number >= 0, got {resets_limit!r}")
    if not 0 < s["min_lap_s"] < length_s or not 0 <= s["penalty_s"] <= 30:
        raise LeagueError("the minimum lap time must be above 0 and below the session length, "
                          "and the off-track penalty 0..30 s")
    try:
        race_settings = complete_settings(s["race_type"], objects_config(s["race_type"], s.get("race_settings")))
    except RaceTypeError as exc:  # a league refusal like the others (the app's forms show it under the form)
        raise LeagueError(str(exc)) from None
    given = s.get("collision_penalty_s")
    collision = DEFAULT_COLLISION_PENALTY_S if given is None else given
    if not (isinstance(collision, (int, float)) and 0 <= collision <= 60):
        raise LeagueError(f"collision penalty: expected 0..60 s, got {given!r}")
    s.update(length_s=float(length_s), ranking=ranking.value, min_lap_s=float(s["min_lap_s"]),
             penalty_s=float(s["penalty_s"]), race_settings=race_settings, collision_penalty_s=float(collision))
    return {k: s[k] for k in EVENT_SETTINGS}


def _check_tracks(track: str, tracks: Sequence[str] | None) -> tuple[str, ...]:
    """``track`` first, then the other ``tracks`` in their order, each once; every one must load."""
    if isinstance(tracks, str):
        raise LeagueError("tracks: expected a list of track names, got one name")
    order = tuple(dict.fromkeys([track, *(tracks or ())]))
    if len(order) > MAX_TRACKS:
        raise LeagueError(f"tracks: an event runs on at most {MAX_TRACKS} tracks, got {len(order)}")
    for name in order:
        load_track(name)  # raises TrackError naming the available tracks
    return order


def _check_count(value, bounds: tuple[int, int], what: str) -> int | None:
    """None, or a whole number within ``bounds``."""
    lo, hi = bounds
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi):
        raise LeagueError(f"{what}: expected a whole number {lo}..{hi}, got {value!r}")
    return value


def get_event(db: sqlite_utils.Database, event: str | int | RaceDayEvent) -> RaceDayEvent:
    """The event by name (any case), id or RaceDayEvent; LeagueError if there is none."""
    if isinstance(event, RaceDayEvent):
        event = event.id
    column = "id" if isinstance(event, int) else "name"
    rows = list(db.query(f"SELECT * FROM raceday_events WHERE {column} = ?", [event]))
    if not rows:
        names = ", ".join(e.name for e in list_events(db)) or "none yet"
        raise LeagueError(f"no race-day event {event!r}; events: {names}")
    return _event(db, rows[0])


def list_events(db: sqlite_utils.Database) -> list[RaceDayEvent]:
    return [_event(db, row) for row in db.query("SELECT * FROM raceday_events ORDER BY created, id")]


def _event(db: sqlite_utils.Database, row: dict) -> RaceDayEvent:
    tracks = tuple(r[0] for r in db.execute("SELECT track FROM raceday_event_tracks WHERE event_id = ? "
                                            "ORDER BY position", [row["id"]]))
    return RaceDayEvent(**{**row, "race_settings": json.loads(row.get("race_settings") or "{}"), "tracks": tracks})
