"""Training benchmarks on ``workshop_loop`` with the workshop's action space (3 m/s in 3
levels, 30 degrees in 5 levels: 15 actions), from a fresh model, on two cores.

- ``train.{sensor}_seconds_to_5_laps`` / ``_steps_to_5_laps``: wall seconds and env
  steps until the first checkpoint whose greedy evaluation completes 5 of 5 laps,
  with the first example reward (centre-line bands).
- ``train.{sensor}_lap_s`` / ``_lap_ratio``: that checkpoint's first evaluation lap
  (from a standing start), and that lap divided by the track's theoretical best lap
  (``best_lap_s``, also a standing start) at 3 m/s.
- ``train.lidar_speed_aware_lap_s`` / ``_lap_ratio``: the fastest standing-start lap
  of any checkpoint after ``SPEED_AWARE_MINUTES`` of training with
  ``assets/reward_functions/speed_aware.py``, and its ratio to ``best_lap_s``;
  ``_flying_lap_ratio``: the fastest flying lap (laps 2-5 of the continuous
  evaluation) divided by the theoretical ``flying_lap_s``.
- ``train.{sensor}_peak_rss_mb``: peak resident memory of the process.
- ``train.speed_aware_ratio_3min``: the fastest standing-start lap (``trackside evaluate``'s rules)
  of any checkpoint after ``SPEED_AWARE_SHORT_MINUTES`` (3) minutes of training with
  ``speed_aware.py``, over ``best_lap_s`` (target 1.15): what a workshop attendee gets in a coffee
  break, and what a faster simulator buys (more steps in the same minutes).

Set ``BENCH_CAMERA_MINUTES`` / ``BENCH_SPEED_AWARE_MINUTES`` to change the budgets.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

import torch
from common import report, wanted

TRACK = "workshop_loop"
CAMERA_MINUTES = float(os.environ.get("BENCH_CAMERA_MINUTES", 20))
SPEED_AWARE_MINUTES = float(os.environ.get("BENCH_SPEED_AWARE_MINUTES", 10))
SPEED_AWARE_SHORT_MINUTES = 3.0
SPEED_AWARE_SHORT_TARGET = 1.15


def fresh_model(name: str, sensor: str, reward_file: str):
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=[sensor])
    reward = (assets_dir() / "reward_functions" / reward_file).read_text()
    # Default hyperparameters: the time budget ends the run (1000 training iterations is well past it).
    return ModelStore().create(name, meta, Hyperparameters(), reward, TrainingConfig(track=TRACK, n_cars=32))


def time_to_five_laps(sensor: str, minutes: float) -> dict:
    from trainer.training import request_stop, train_model

    model = fresh_model(f"bench-{sensor.lower()}", sensor, "centre_line.py")
    found = {}
    start = time.monotonic()

    def on_iteration(row):
        ev = row["eval"]
        if not found and ev["laps_completed"] == ev["laps"]:
            found.update(seconds=time.monotonic() - start, steps=row["env_steps"], lap=ev["first_lap_s"])
            request_stop(model)

    train_model(model, minutes=minutes, on_iteration=on_iteration, install_signals=False)
    return found


def best_laps_after(minutes: float) -> tuple[float | None, float | None]:
    """Fastest standing-start lap and fastest lap of any 5/5 checkpoint, s."""
    from trainer.training import train_model

    model = fresh_model("bench-speed", "LIDAR", "speed_aware.py")
    train_model(model, minutes=minutes, install_signals=False)
    clean = [c["eval"] for c in model.list_checkpoints()
             if c.get("eval", {}).get("laps_completed") == c.get("eval", {}).get("laps")]
    if not clean:
        return None, None
    return min(e["first_lap_s"] for e in clean), min(e["best_lap_s"] for e in clean)


def best_standing_start_after(minutes: float) -> float | None:
    """Fastest standing-start lap of any checkpoint after ``minutes`` with ``speed_aware.py``, s."""
    from trainer.model_folder import standing_start_lap
    from trainer.training import train_model

    model = fresh_model("bench-speed-short", "LIDAR", "speed_aware.py")
    train_model(model, minutes=minutes, install_signals=False)
    laps = [lap for lap in map(standing_start_lap, model.list_checkpoints()) if lap is not None]
    return min(laps) if laps else None


def main() -> None:
    names = ("train.lidar_seconds_to_5_laps", "train.camera_seconds_to_5_laps", "train.lidar_speed_aware_lap_ratio",
             "train.speed_aware_ratio_3min")
    if not any(wanted(name) for name in names):
        return
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-bench-")
    torch.set_num_threads(2)
    from sim.library import load_track
    from sim.racing_line import compute_racing_line

    line = compute_racing_line(load_track(TRACK), max_speed=3.0)
    best, flying = line.best_lap_s, line.flying_lap_s
    for sensor, name, minutes in (("LIDAR", "lidar", 3.0), ("FRONT_FACING_CAMERA", "camera", CAMERA_MINUTES)):
        if not wanted(f"train.{name}_seconds_to_5_laps"):
            continue
        found = time_to_five_laps(sensor, minutes)
        if not found:
            report(f"train.{name}_seconds_to_5_laps", float("nan"), "s", note=f"not reached in {minutes} min")
            continue
        report(f"train.{name}_seconds_to_5_laps", found["seconds"], "s", track=TRACK)
        report(f"train.{name}_steps_to_5_laps", found["steps"], "car-steps", track=TRACK, cars=32)
        report(f"train.{name}_lap_s", found["lap"], "s", track=TRACK)
        report(f"train.{name}_lap_ratio", found["lap"] / best, "x best_lap_s", best_lap_s=round(best, 3))
        report(f"train.{name}_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
    if wanted("train.speed_aware_ratio_3min"):
        lap = best_standing_start_after(SPEED_AWARE_SHORT_MINUTES)
        ratio = lap / best if lap else float("nan")
        report("train.speed_aware_ratio_3min", ratio, "x best_lap_s", track=TRACK, minutes=SPEED_AWARE_SHORT_MINUTES,
               lap_s=round(lap, 3) if lap else None, best_lap_s=round(best, 3), target=SPEED_AWARE_SHORT_TARGET,
               reached=bool(ratio <= SPEED_AWARE_SHORT_TARGET))
    if wanted("train.lidar_speed_aware_lap_ratio"):
        first, fastest = best_laps_after(SPEED_AWARE_MINUTES)
        nan = float("nan")
        report("train.lidar_speed_aware_lap_s", first or nan, "s", minutes=SPEED_AWARE_MINUTES)
        report("train.lidar_speed_aware_lap_ratio", first / best if first else nan, "x best_lap_s",
               best_lap_s=round(best, 3))
        report("train.lidar_speed_aware_flying_lap_ratio", fastest / flying if fastest else nan, "x flying_lap_s",
               flying_lap_s=round(flying, 3))


if __name__ == "__main__":
    main()
