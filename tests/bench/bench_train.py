"""Training benchmarks on ``workshop_loop`` with the workshop's action space (3 m/s in 3
levels, 30 degrees in 5 levels: 15 actions), from a fresh model, on two cores.

- ``train.{sensor}_seconds_to_5_laps`` / ``_steps_to_5_laps``: wall seconds and env
  steps until the first checkpoint whose greedy evaluation completes 5 of 5 laps,
  with the first example reward (centre-line bands).
- ``train.{sensor}_lap_s`` / ``_lap_ratio``: that checkpoint's best lap, and the lap
  divided by the track's theoretical best lap (``best_lap_s``) at 3 m/s.
- ``train.lidar_speed_aware_lap_s`` / ``_lap_ratio``: best evaluated lap after
  ``SPEED_AWARE_MINUTES`` of training with ``assets/reward_functions/speed_aware.py``.
- ``train.{sensor}_peak_rss_mb``: peak resident memory of the process.

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


def fresh_model(name: str, sensor: str, reward_file: str):
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=[sensor])
    reward = (assets_dir() / "reward_functions" / reward_file).read_text()
    return ModelStore().create(name, meta, Hyperparameters(term_cond_avg_score=1e9, term_cond_max_episodes=10**8), reward, TrainingConfig(track=TRACK, n_cars=32))


def time_to_five_laps(sensor: str, minutes: float) -> dict:
    from trainer.training import request_stop, train_model

    model = fresh_model(f"bench-{sensor.lower()}", sensor, "centre_line.py")
    found = {}
    start = time.monotonic()

    def on_iteration(row):
        ev = row["eval"]
        if not found and ev["laps_completed"] == ev["laps"]:
            found.update(seconds=time.monotonic() - start, steps=row["env_steps"], lap=ev["best_lap_s"])
            request_stop(model)

    train_model(model, minutes=minutes, on_iteration=on_iteration, install_signals=False)
    return found


def best_lap_after(minutes: float) -> float | None:
    from trainer.training import train_model

    model = fresh_model("bench-speed", "LIDAR", "speed_aware.py")
    train_model(model, minutes=minutes, install_signals=False)
    laps = [c["eval"]["best_lap_s"] for c in model.list_checkpoints()
            if c.get("eval", {}).get("laps_completed") == c.get("eval", {}).get("laps")]
    return min(laps) if laps else None


def main() -> None:
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-bench-")
    torch.set_num_threads(2)
    from sim.library import load_track
    from sim.racing_line import compute_racing_line

    best = compute_racing_line(load_track(TRACK), max_speed=3.0).best_lap_s
    for sensor, name, minutes in (("LIDAR", "lidar", 3.0), ("FRONT_FACING_CAMERA", "camera", CAMERA_MINUTES)):
        if not wanted(f"train.{name}_seconds_to_5_laps"):
            continue
        found = time_to_five_laps(sensor, minutes)
        if not found:
            report(f"train.{name}_seconds_to_5_laps", float("nan"), "s", note=f"not reached in {minutes} min")
            continue
        report(f"train.{name}_seconds_to_5_laps", found["seconds"], "s", track=TRACK)
        report(f"train.{name}_steps_to_5_laps", found["steps"], "env steps", track=TRACK)
        report(f"train.{name}_lap_s", found["lap"], "s", track=TRACK)
        report(f"train.{name}_lap_ratio", found["lap"] / best, "x best_lap_s", best_lap_s=round(best, 3))
        report(f"train.{name}_peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")
    if wanted("train.lidar_speed_aware_lap_ratio"):
        lap = best_lap_after(SPEED_AWARE_MINUTES)
        report("train.lidar_speed_aware_lap_s", lap if lap else float("nan"), "s", minutes=SPEED_AWARE_MINUTES)
        report("train.lidar_speed_aware_lap_ratio", lap / best if lap else float("nan"), "x best_lap_s",
               best_lap_s=round(best, 3))


if __name__ == "__main__":
    main()
