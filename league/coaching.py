"""Coaching cards for what Trackside drove: an evaluation, a league submission, a simulated race-day session.

Each source is driven again with a step recorder (:class:`trainer.coaching.LapRecorder`) and the
chosen lap compared with the racing line (:func:`trainer.coaching.coach_lap`):

- an **evaluation**: the model drives ``laps`` trials on a track (:func:`league.evaluation.evaluate_model`,
  no SIM_TRACE written); with the seed of an earlier evaluation it drives the same laps again;
- a **submission**: replayed from its frozen weights and recorded seed
  (:func:`league.reproduce.reproduce_submission`), so the card shows the laps that were ranked;
- a **race-day session** driven by a model: replayed from its recorded seed with the event's rules
  (:func:`league.raceday.simulated.run_simulated_session`). A session records the model's name, not
  a frozen copy: if the model trained since, the replay differs, and the card says so
  (``replay_matches``). A physical car's session has no path to replay and is refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sqlite_utils

from sim.library import load_track
from trainer.coaching import DEFAULT_SECTORS, CoachingCard, LapRecorder, coach_lap
from trainer.driving import EvaluationRules

from .db import LeagueError
from .freeze import open_frozen, resolve_model
from .laptime import to_ms


@dataclass
class CoachedRun:
    """A coaching card with what it was made from."""

    card: CoachingCard
    laps_ms: list[int | None]
    """Every lap driven (replayed), ms; None: not completed."""
    replay_matches: bool | None = None
    """Submissions and sessions: the replay gave the recorded lap times (None: nothing to compare)."""

    def to_dict(self) -> dict:
        return {**self.card.to_dict(), "laps_ms": self.laps_ms, "replay_matches": self.replay_matches}


def coach_evaluation(model, track: str, *, laps: int = 3, seed: int | None = None, checkpoint: str | int | None = None,
                     lap: int | None = None, n_sectors: int = DEFAULT_SECTORS, rules: EvaluationRules | None = None,
                     models=None) -> CoachedRun:
    """Evaluate ``model`` for ``laps`` trials on ``track`` (DeepRacer's rules: 2 s off-track penalty) and coach
    lap ``lap`` (default: the fastest completed). ``rules`` (with their seed) replace ``laps`` and ``seed``:
    an earlier evaluation's rules drive the same laps again."""
    from .evaluation import evaluate_model

    model = resolve_model(model, models)
    rules = rules or EvaluationRules(laps=laps, seed=seed)
    recorder = LapRecorder(rules.penalty_s, rules.collision_penalty_s, continuous=rules.mode == "continuous")
    result = evaluate_model(model, track, rules, checkpoint=checkpoint, simtrace=False, on_step=recorder)
    source = (f"model {model.name} ({result.checkpoint}) on {result.track}, {rules.laps} lap(s), "
              f"seed {result.rules.seed}")
    card = coach_lap(load_track(track), recorder.laps, model.metadata().action_space.max_speed, lap=lap,
                     n_sectors=n_sectors, source=source)
    return CoachedRun(card, [to_ms(x.time_s) if x.completed else None for x in result.laps])


def coach_submission(db: sqlite_utils.Database, sub_id: int, *, lap: int | None = None,
                     n_sectors: int = DEFAULT_SECTORS) -> CoachedRun:
    """Replay league submission ``sub_id`` from its seed and coach lap ``lap`` (default: its fastest)."""
    from .races import get_race, get_submission
    from .reproduce import reproduce_submission

    row = get_submission(db, sub_id)
    race = get_race(db, int(row["race_id"]))
    recorder = LapRecorder(race.rules.penalty_s, race.rules.collision_penalty_s,
                           continuous=race.rules.mode == "continuous")
    replay = reproduce_submission(db, sub_id, on_step=recorder)
    top = open_frozen(row["frozen_hash"], row["model"]).metadata().action_space.max_speed
    source = f"submission {sub_id}: {row['racer']} with {row['model']} in race {row['race']}, seed {replay['seed']}"
    card = coach_lap(load_track(race.track), recorder.laps, top, lap=lap, n_sectors=n_sectors, source=source)
    return CoachedRun(card, replay["replayed_ms"], bool(replay["identical"]))


def coach_session(db: sqlite_utils.Database, session_id: int, *, lap: int | None = None,
                  n_sectors: int = DEFAULT_SECTORS, models=None) -> CoachedRun:
    """Replay simulated race-day session ``session_id`` from its seed and coach lap ``lap`` (default: its fastest)."""
    from .raceday.events import get_event
    from .raceday.simulated import run_simulated_session

    row = next(db.query("SELECT * FROM raceday_sessions WHERE id = ?", [session_id]), None)
    if row is None:
        raise LeagueError(f"no race-day session {session_id}")
    if row["driver"] != "model":
        raise LeagueError(f"session {session_id} was driven by a physical car: there is no recorded path to coach")
    if row.get("seed") is None:
        raise LeagueError(f"session {session_id} was recorded without a noise seed: it cannot be replayed")
    event = get_event(db, int(row["event_id"])).on_track(row.get("track"))  # the track the session ran on
    model = resolve_model(row["model"], models)
    recorder = LapRecorder(continuous=True)
    session = _SessionRecorder(recorder)
    ticks = itertools.count()  # a wall clock a second apart per reading: every step reaches on_update
    timer = run_simulated_session(event, row["racer"], model, row.get("checkpoint"), speed=0,
                                  on_update=session, seed=int(row["seed"]), wall_clock=lambda: float(next(ticks)))
    replayed = [to_ms(x.time_s) for x in timer.laps]
    recorded = [r["time_ms"] for r in db.query("SELECT time_ms FROM raceday_laps WHERE session_id = ? ORDER BY lap",
                                                [session_id])]
    source = (f"session {session_id}: {row['display_name']} with {row['model']} at {event.name}, "
              f"seed {row['seed']}")
    card = coach_lap(load_track(event.track), recorder.laps, model.metadata().action_space.max_speed, lap=lap,
                     n_sectors=n_sectors, source=source)
    return CoachedRun(card, replayed, replayed == recorded)


class _SessionRecorder:
    """``on_update`` of a replayed session: one row per step into a :class:`LapRecorder`."""

    def __init__(self, recorder: LapRecorder):
        self.recorder = recorder

    def __call__(self, state: dict) -> None:
        kind, car = state["event"], state["car"]
        if kind == "lap" and state["laps"]:
            self.recorder.add(state["laps"][-1]["time_s"], car["x"], car["y"], car["speed"], 100.0)
            self.recorder.close_lap(len(state["laps"]), state["laps"][-1]["time_s"])
            return
        if state["held"] and kind not in ("reset", "collision"):
            return  # the car stands out its penalty: no new position
        t = state["running_lap_s"] or 0.0
        self.recorder.add(t, car["x"], car["y"], car["speed"], car["progress"], off_track=kind == "reset")
