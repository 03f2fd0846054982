"""Command-line benchmarks: how long a quick ``trackside`` command takes as a whole process.

- ``cli.model_list_s``: ``trackside model list`` in a home with the standard model, three
  drafts and a clone.
- ``cli.standings_s``: ``trackside league standings "Sample Cup"``: the sample league's race
  with one real submission per sample racer (the standard model, evaluated under the race's
  rules once while setting up).

Each is the median wall time of 7 runs of ``python -m gui.cli ...`` (start-up, imports and all:
what a user waits for), after one unmeasured run that warms the disk cache. The setup uses the
project's own functions, in this process; the timed commands run in fresh processes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report, wanted

RUNS = 7
ROOT = Path(__file__).resolve().parents[2]


def make_models() -> None:
    """Three drafts and a clone of the standard model next to the standard model itself."""
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    store = ModelStore()
    reward = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
    for i, track in enumerate(("workshop_loop", "practice_oval", "technical_circuit")):
        meta = ModelMetadata(action_space=ActionSpace.from_console(2.0 + i, 3, 30.0, 5), sensor=["LIDAR"])
        store.create(f"draft-{i + 1}", meta, Hyperparameters(), reward, TrainingConfig(track=track))
    if store.exists("standard"):
        store.clone("standard", "standard-clone")


def make_race() -> str:
    """The sample league, with the standard model submitted for each sample racer."""
    from league.db import open_db
    from league.races import submit
    from league.sample import RACE, RACERS, ensure_sample_league

    db = open_db()
    ensure_sample_league(db)
    for alias, _ in RACERS:
        submit(db, RACE, alias, "standard")
    return RACE


def median_wall_s(args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "gui.cli", *args]
    subprocess.run(command, env=env, check=True, capture_output=True)  # warm the disk cache
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["TRACKSIDE_HOME"] = home
        if wanted("cli.model_list_s"):
            make_models()
            report("cli.model_list_s", median_wall_s(["model", "list"]), "s", runs=RUNS, target="< 0.6")
        if wanted("cli.standings_s"):
            race = make_race()
            report("cli.standings_s", median_wall_s(["league", "standings", race]), "s", runs=RUNS,
                   target="< 0.6")


if __name__ == "__main__":
    main()
