"""Drive a recorded league submission again and compare its laps with the recorded ones.

A submission records what decides its laps: the frozen weights (``frozen_hash``), the race's
rules and track, the simulator version and the noise seed (``seed``, :mod:`sim.noise`). With
the same simulator version they give the same lap times to the millisecond, so a disputed
result can be checked by anyone holding the league database and the frozen copies. In a race
with objects the seed also places the random obstacles and drives the bots' lane changes
(:mod:`trainer.driving`), so the replay meets the same objects and counts the same collisions.
"""

from __future__ import annotations

from dataclasses import replace

import sqlite_utils

from sim import SIM_VERSION
from sim.library import load_track
from trainer.driving import LapResult

from .db import LeagueError
from .evaluation import run_laps
from .freeze import open_frozen
from .laptime import to_ms
from .races import get_race, get_submission


def reproduce_submission(db: sqlite_utils.Database, sub_id: int, *, on_step=None) -> dict:
    """Re-drive submission ``sub_id`` with its frozen weights, race rules and recorded seed.

    Returns ``{"submission", "seed", "recorded_ms", "replayed_ms", "recorded_collisions",
    "replayed_collisions", "identical", "laps"}``: lap times in ms per lap (None: not completed)
    and collisions per lap; ``identical`` when both agree lap by lap; ``laps`` the replayed
    :class:`LapResult` list.
    Refuses (:class:`LeagueError`) a submission recorded without a seed (before the noise model)
    or under another simulator version, whose laps this simulator cannot replay.
    ``on_step``: a ``trainer.driving`` step hook (a coaching card's recorder).
    """
    row = get_submission(db, sub_id)
    if row.get("seed") is None:
        raise LeagueError(f"submission {sub_id} was recorded without a noise seed (before simulator version 2); "
                          "it cannot be replayed: submit the model again")
    if row.get("sim_version") != SIM_VERSION:
        raise LeagueError(f"submission {sub_id} was driven by simulator version {row.get('sim_version')}, this is "
                          f"version {SIM_VERSION}: its laps cannot be replayed here")
    race = get_race(db, int(row["race_id"]))
    rules = replace(race.rules, seed=int(row["seed"]))
    model = open_frozen(row["frozen_hash"], row["model"])
    laps: list[LapResult] = run_laps(model, "initial", load_track(race.track), rules, on_step=on_step)
    replayed = [to_ms(lap.time_s) if lap.completed else None for lap in laps]
    recorded = [lap["time_ms"] for lap in row["laps"]]
    hits, replayed_hits = [lap["collisions"] for lap in row["laps"]], [lap.collisions for lap in laps]
    return {"submission": sub_id, "seed": int(row["seed"]), "recorded_ms": recorded, "replayed_ms": replayed,
            "recorded_collisions": hits, "replayed_collisions": replayed_hits,
            "identical": recorded == replayed and hits == replayed_hits, "laps": laps}
