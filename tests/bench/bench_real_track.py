"""Training on a track shaped like DeepRacer's own files (``real_track.py``: 24 m, 1.07 m wide,
border rows not opposite the centre points, uneven row spacing), from fresh LIDAR models with
the workshop's action space (3 m/s in 3 levels, 30 degrees in 5 levels), 32 cars, two threads.

- ``train.real_track_5_laps_s``: wall seconds of training (first example reward, centre-line
  bands) until the first checkpoint whose greedy evaluation completes 5 of 5 laps.
- ``train.real_track_ratio_10min``: the fastest standing-start lap of any checkpoint after
  ``BENCH_REAL_MINUTES`` (10) minutes with ``assets/reward_functions/speed_aware.py``, divided by
  the track's ``best_lap_s`` at 3 m/s (target 1.25, aim 1.10).
"""

from __future__ import annotations

import os
import tempfile
import time

import torch
from common import report, wanted
from real_track import NAME, write_real_track

MINUTES = float(os.environ.get("BENCH_REAL_MINUTES", "10"))
FIVE_LAPS_LIMIT_MIN = 10.0


def fresh_model(name: str, reward_file: str):
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    reward = (assets_dir() / "reward_functions" / reward_file).read_text()
    return ModelStore().create(name, meta, Hyperparameters(), reward, TrainingConfig(track=NAME, n_cars=32))


def seconds_to_five_laps() -> float | None:
    from trainer.training import request_stop, train_model

    model = fresh_model("bench-real-5laps", "centre_line.py")
    start, found = time.monotonic(), []

    def on_iteration(row):
        ev = row["eval"]
        if not found and ev["laps_completed"] == ev["laps"]:
            found.append(time.monotonic() - start)
            request_stop(model)

    train_model(model, minutes=FIVE_LAPS_LIMIT_MIN, on_iteration=on_iteration, install_signals=False)
    return found[0] if found else None


def best_standing_start_after(minutes: float) -> float | None:
    from trainer.model_folder import standing_start_lap
    from trainer.training import train_model

    model = fresh_model("bench-real-speed", "speed_aware.py")
    train_model(model, minutes=minutes, install_signals=False)
    laps = [lap for lap in map(standing_start_lap, model.list_checkpoints()) if lap is not None]
    return min(laps) if laps else None


def main() -> None:
    home = tempfile.mkdtemp(prefix="trackside-bench-")
    os.environ["TRACKSIDE_HOME"] = home
    torch.set_num_threads(2)
    from sim.library import import_track
    from sim.racing_line import compute_racing_line

    track = import_track(write_real_track(tempfile.mkdtemp()), NAME)
    best = compute_racing_line(track, max_speed=3.0).best_lap_s
    nan = float("nan")
    if wanted("train.real_track_5_laps_s"):
        seconds = seconds_to_five_laps()
        report("train.real_track_5_laps_s", seconds if seconds is not None else nan, "s", track=NAME,
               **({} if seconds is not None else {"note": f"not reached in {FIVE_LAPS_LIMIT_MIN:g} min"}))
    if wanted("train.real_track_ratio_10min"):
        lap = best_standing_start_after(MINUTES)
        report("train.real_track_ratio_10min", lap / best if lap else nan, "x best_lap_s", track=NAME,
               minutes=MINUTES, lap_s=round(lap, 3) if lap else None, best_lap_s=round(best, 3))


if __name__ == "__main__":
    main()
