"""Training among objects: ``train.oa_3_obstacles_laps`` and ``train.h2b_2_bots_laps``.

A fresh LIDAR model on ``workshop_loop`` trains for ``BENCH_OBJECTS_MINUTES`` (default 10) with
``assets/reward_functions/object_avoidance.py`` among 3 fixed boxes (DeepRacer's even spacing in
alternating lanes) or 2 bot cars (0.6 m/s, keeping their lanes); then its chosen checkpoint
(``league.evaluation.evaluate_model``'s default) drives 3 laps among the same objects under
``trackside evaluate``'s rules: trials from a standing start, the 2 s off-track penalty with a put-back,
the 5 s collision penalty (DeepRacer-for-Cloud's default) with a put-back behind a box. Each line
reports ``laps_completed`` of 3 as its value, ``collisions`` and ``off_track``; the target is 3 of 3
with at most 1 collision.

Run ``python tests/bench/bench_objects.py [--minutes M]`` or ``make bench ONLY=oa`` / ``ONLY=h2b``
(``BENCH_OBJECTS_MINUTES=3`` for a quick look).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
from common import report, wanted

TRACK = "workshop_loop"
EVAL_LAPS = 3
EVAL_SEED = 12
MINUTES = float(os.environ.get("BENCH_OBJECTS_MINUTES", 10))
RECIPES = {
    "train.oa_3_obstacles_laps": ("object_avoidance", {"NUMBER_OF_OBSTACLES": 3}),
    "train.h2b_2_bots_laps": ("head_to_bot", {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.6}),
}
"""Bench name -> the race type and settings (DeepRacer's names) it trains and evaluates with."""


def fresh_model(name: str, race_type: str, settings: dict):
    """A new LIDAR model with the object-avoidance reward, 2 m/s in 2 levels and 30 degrees in 5."""
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters, TrainingConfig
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore

    meta = ModelMetadata(action_space=ActionSpace.from_console(2.0, 2, 30.0, 5), sensor=["LIDAR"])
    reward = (assets_dir() / "reward_functions" / "object_avoidance.py").read_text()
    config = TrainingConfig(track=TRACK, n_cars=32, race_type=race_type, race_settings=settings)
    # Larger iterations than the default 20 episodes: crashes end episodes early, so 20 give little
    # to learn from, and each iteration's evaluation among the objects costs time.
    hp = Hyperparameters(num_episodes_between_training=64, batch_size=128)
    return ModelStore().create(name, meta, hp, reward, config)


def train_and_race(bench: str, minutes: float) -> dict:
    """Train a fresh model for ``minutes`` and drive its evaluation: the numbers one line reports."""
    from league.evaluation import evaluate_model
    from trainer.driving import EvaluationRules
    from trainer.training import train_model

    race_type, settings = RECIPES[bench]
    model = fresh_model(bench.split(".")[1].replace("_", "-"), race_type, settings)
    start = time.monotonic()
    result = train_model(model, minutes=minutes, install_signals=False)
    trained_s = time.monotonic() - start
    rules = EvaluationRules(laps=EVAL_LAPS, seed=EVAL_SEED, objects=model.training_config().objects())
    ev = evaluate_model(model, TRACK, rules, simtrace=False)
    laps = ev.laps
    return {"laps_completed": sum(lap.completed for lap in laps), "collisions": sum(lap.collisions for lap in laps),
            "off_track": sum(lap.off_track for lap in laps), "checkpoint": ev.checkpoint,
            "lap_s": [round(lap.time_s, 3) if lap.time_s is not None else None for lap in laps],
            "trained_s": round(trained_s, 1), "iterations": result.iterations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=MINUTES, help="training time per bench (default 10)")
    args = parser.parse_args()
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-bench-objects-")
    torch.set_num_threads(2)
    for bench, (race_type, settings) in RECIPES.items():
        if not wanted(bench):
            continue
        r = train_and_race(bench, args.minutes)
        ok = r["laps_completed"] == EVAL_LAPS and r["collisions"] <= 1
        report(bench, r["laps_completed"], f"laps of {EVAL_LAPS}", target=f"{EVAL_LAPS} of {EVAL_LAPS}, <= 1 collision",
               reached=ok, minutes=args.minutes, track=TRACK, race_type=race_type, settings=settings,
               sensor="LIDAR", reward="object_avoidance.py", **r)


if __name__ == "__main__":
    main()
