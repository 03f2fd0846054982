"""Sweep benchmark: how many variants a local Ray instance with 2 CPUs trains and evaluates an hour.

- ``sweep.variants_per_hour_2cpu``: a sweep of ``BENCH_SWEEP_VARIANTS`` variants (default 4: the
  four example rewards that fit a time trial, cloned from a fresh LIDAR model on ``workshop_loop``,
  32 cars), each trained ``BENCH_SWEEP_MINUTES`` (default 1) and evaluated for 3 laps on
  ``workshop_loop_cup``, from ``run_sweep`` called to its return (Ray start, model creation,
  training, evaluation, results written) -> variants per hour. ``ideal`` is what 2 CPUs would
  do with no overhead at all (2 x 60 / minutes); ``overhead_s_per_variant`` the rest, per variant.
"""

from __future__ import annotations

import os
import tempfile
import time

from common import report, wanted

VARIANTS = int(os.environ.get("BENCH_SWEEP_VARIANTS", 4))
MINUTES = float(os.environ.get("BENCH_SWEEP_MINUTES", 1))
REWARDS = ("centre_line.py", "centre_line_speed.py", "speed_aware.py", "centre_line_smooth_steering.py")


def main() -> None:
    if not wanted("sweep.variants_per_hour_2cpu"):
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        report("sweep.variants_per_hour_2cpu", float("nan"), "variants/h",
               note="ray not installed: pip install -e '.[cluster]'")
        return
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="bench-sweep-")
    from league.sweep import SweepSpec, run_sweep
    from league.sweep_variants import RewardChoice
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    folder = assets_dir() / "reward_functions"
    ModelStore().create("base", ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"]),
                        Hyperparameters(), (folder / "centre_line.py").read_text(),
                        TrainingConfig(track="workshop_loop", n_cars=32))
    rewards = [RewardChoice(REWARDS[i % len(REWARDS)].replace(".py", f"-{i}.py"),
                            (folder / REWARDS[i % len(REWARDS)]).read_text()) for i in range(VARIANTS)]
    spec = SweepSpec("bench", "base", "workshop_loop_cup", rewards=rewards, minutes=MINUTES, eval_laps=3)
    t0 = time.monotonic()
    results = run_sweep(spec, num_cpus=2)
    elapsed = time.monotonic() - t0
    done = sum(r["status"] == "done" for r in results["variants"])
    report("sweep.variants_per_hour_2cpu", VARIANTS / (elapsed / 3600), "variants/h", variants=VARIANTS,
           done=done, minutes_each=MINUTES, elapsed_s=round(elapsed, 1), ideal=round(2 * 60 / MINUTES, 1),
           overhead_s_per_variant=round((2 * elapsed - VARIANTS * MINUTES * 60) / VARIANTS, 1))


if __name__ == "__main__":
    main()
