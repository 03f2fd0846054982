"""The path of a racer's best lap, for a certificate's track picture: the recorded drive replayed.

Nothing stores where a car drove, but a simulated drive is reproducible: a race-day session
records its model, checkpoint and noise seed (``raceday_sessions.seed``), a league submission
its frozen weights, rules and seed (``league.reproduce``). Replaying with a step recorder gives
the car's positions, and the replayed lap's time is checked against the recorded one (to the
millisecond, before any marshal's penalty): a model trained further since, or an event whose
rules changed, drives a different lap, and then no path is drawn rather than a wrong one.

A physical car's session has no replay: its certificate shows the racing line only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from sim.errors import TracksideError

from .db import LeagueError
from .laptime import to_ms


@dataclass(frozen=True)
class LapPath:
    """Where a car drove one lap: ``points`` ``(n, 2)`` m, or None with ``note`` saying why not."""

    points: np.ndarray | None
    note: str


def session_lap_path(event, session: dict, lap: int, time_ms: int) -> LapPath:
    """Replay race-day ``session`` (a ``raceday_sessions`` row) of ``event`` up to lap ``lap`` and
    return that lap's path, if the replay drives it in ``time_ms`` (the recorded raw lap time, ms)."""
    from .raceday.simulated import run_simulated_session

    if session["driver"] != "model":
        return LapPath(None, "physical car: the racing line only")
    if session.get("seed") is None:
        return LapPath(None, "recorded without a seed: the racing line only")
    positions: list[tuple[int, float, float]] = []  # (laps completed, x, y) at every step
    clock = itertools.count()  # a wall clock that always moves on: every step is published

    def record(state: dict) -> None:
        positions.append((len(state["laps"]), state["car"]["x"], state["car"]["y"]))

    try:
        timer = run_simulated_session(event.on_track(session.get("track")), session["racer"], session["model"],
                                      session["checkpoint"], speed=0,
                                      on_update=record, seed=int(session["seed"]),
                                      should_stop=lambda: bool(positions) and positions[-1][0] >= lap,
                                      wall_clock=lambda: float(next(clock)))
    except (TracksideError, OSError) as exc:
        return LapPath(None, f"cannot replay: {exc}")
    driven = next((x for x in timer.laps if x.number == lap), None)
    if driven is None or to_ms(driven.time_s) != time_ms:
        return LapPath(None, "the replay drove another lap (the model changed since?): the racing line only")
    return LapPath(_lap_points(positions, lap), "best lap replayed from the session's seed")


def submission_lap_path(db: sqlite_utils.Database, sub_id: int, lap: int, time_ms: int) -> LapPath:
    """Replay league submission ``sub_id`` (frozen weights, rules, seed) and return lap ``lap``'s path
    if it lands in ``time_ms`` again."""
    from dataclasses import replace

    from sim import SIM_VERSION
    from sim.library import load_track

    from .evaluation import run_laps
    from .freeze import open_frozen
    from .races import get_race, get_submission

    row = get_submission(db, sub_id)
    if row.get("seed") is None or row.get("sim_version") != SIM_VERSION:
        return LapPath(None, "recorded by another simulator version: the racing line only")
    race = get_race(db, int(row["race_id"]))
    positions: list[tuple[int, float, float]] = []

    def on_step(env, info, actions, lap_no) -> None:
        positions.append((lap_no - 1, float(env.state.x[0]), float(env.state.y[0])))

    try:
        laps = run_laps(open_frozen(row["frozen_hash"], row["model"]), "initial", load_track(race.track),
                        replace(race.rules, seed=int(row["seed"]), laps=lap), on_step=on_step)
    except (TracksideError, OSError) as exc:
        return LapPath(None, f"cannot replay: {exc}")
    driven = laps[lap - 1] if len(laps) >= lap else None
    if driven is None or not driven.completed or to_ms(driven.time_s) != time_ms:
        return LapPath(None, "the replay drove another lap: the racing line only")
    return LapPath(_lap_points(positions, lap), "best lap replayed from the submission's seed")


def _lap_points(positions: list[tuple[int, float, float]], lap: int) -> np.ndarray:
    """The positions while lap ``lap`` ran (``laps completed == lap - 1``), with the first one after it
    landed, so the drawn lap reaches the finish line."""
    pts = [(x, y) for done, x, y in positions if done == lap - 1]
    after = next(((x, y) for done, x, y in positions if done >= lap), None)
    if after is not None:
        pts.append(after)
    if not pts:
        raise LeagueError(f"the replay recorded no position on lap {lap}")
    return np.asarray(pts, dtype=float)
