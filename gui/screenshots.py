"""Render every page of the app with real data to PNG files (``make screenshots``).

    python -m gui.screenshots [--out assets/screenshots]

Everything shown is real: in a temporary Trackside home a model is created with the
create-model form's defaults, trained for a few PPO iterations, and evaluated (its laps
written as a DeepRacer evaluation trace in the model folder); then the main window opens
offscreen and each page registered in :data:`gui.app.PAGES` that exists is shown with that
model selected and saved as ``NN-page-title.png``.

A page may opt in to more than being shown: if it has ``prepare_screenshot(model_name)``
that is called after the page is shown (e.g. to start an evaluation and its replay), and if
it has ``screenshot_ready() -> bool`` the script waits (up to :data:`READY_TIMEOUT_S`) until
it returns True before grabbing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

MODEL = "my-first-model"
ITERATIONS = 3
SETTLE_S = 1.5
"""How long each page gets to draw (timers, background loads) before it is grabbed, s."""
READY_TIMEOUT_S = 120.0
WINDOW_SIZE = (1440, 900)


def build_data(log=print) -> str:
    """Create, train and evaluate a model in the current ``TRACKSIDE_HOME``; returns its name."""
    import torch

    from gui.pages.create_model_io import DESCRIPTION_FILE
    from sim.actions import ActionSpace
    from sim.reward import EXAMPLES
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig, atomic_write
    from trainer.training import train_model

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    store = ModelStore()
    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    reward = EXAMPLES["Follow the centre line"].read_text(encoding="utf-8")
    # The form's defaults (32 cars, 20 episodes an iteration), on the workshop's track.
    model = store.create(MODEL, meta, Hyperparameters(), reward,
                         TrainingConfig(track="workshop_loop", n_cars=32, max_minutes=10))
    atomic_write(model.path / DESCRIPTION_FILE, "Workshop defaults: centre line, 3 speeds x 5 steering angles\n")
    log(f"training {MODEL} for {ITERATIONS} iterations ...")
    started = time.monotonic()
    result = train_model(model, max_iterations=ITERATIONS, install_signals=False)
    log(f"  {result.status}: {result.reason} ({time.monotonic() - started:.0f} s)")
    log("evaluating ...")
    laps = evaluate_to_trace(model)
    done = [lap.time_s for lap in laps if lap.completed]
    log(f"  {len(done)}/{len(laps)} laps completed" + (f", best {min(done):.2f} s" if done else ""))
    # A few more rows for the model list: a clone waiting to be trained, a camera model.
    store.clone(MODEL, f"{MODEL}-clone")
    store.create("camera-car", ModelMetadata(action_space=ActionSpace.from_console(2.0, 2, 30.0, 3),
                                             sensor=["FRONT_FACING_CAMERA"]), Hyperparameters(), reward,
                 TrainingConfig(track="technical_circuit"))
    return MODEL


def evaluate_to_trace(model, laps: int = 3):
    """Drive ``laps`` evaluation laps with the model's best checkpoint, written as DeepRacer's
    ``evaluation-<time>/evaluation-simtrace/0-iteration.csv``; returns the lap results."""
    import numpy as np

    from sim.env import STATUSES
    from sim.library import load_track
    from trainer.evaluation import EvaluationRules, evaluate_policy, greedy_actor
    from trainer.simtrace import SimTraceWriter
    from trainer.training import CAMERA_SIZE, load_agent

    which = model.pick_checkpoint()
    agent, meta = load_agent(model, which)
    track = load_track(model.training_config().track)
    with SimTraceWriter(model.new_evaluation_simtrace_path()) as trace:
        def on_step(env, info, actions, lap):
            status = np.asarray(STATUSES, dtype=object)[info["status"]]
            trace.write_rows(episode=lap - 1, steps=info["steps"], x=info["x"], y=info["y"],
                             yaw=np.degrees(info["yaw"]), steer=info["steering"], throttle=info["speed"],
                             action=np.asarray(actions).reshape(-1)[:1], reward=0.0, done=info["status"] != 0,
                             all_wheels_on_track=info["all_wheels_on_track"], progress=info["progress"],
                             closest_waypoint=info["closest_waypoint"], track_len=env.track.length,
                             tstamp=info["steps"] * env.dt, episode_status=status)

        return evaluate_policy(greedy_actor(agent), track, meta.action_space, meta.primary_sensor,
                               EvaluationRules(laps=laps), camera_size=CAMERA_SIZE, on_step=on_step)


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def wait(app, seconds: float, until=None) -> None:
    from PySide6.QtTest import QTest

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QTest.qWait(50)
        if until is not None and until():
            return


def render_pages(out: Path, model_name: str, log=print) -> list[Path]:
    """Open the main window offscreen and save one PNG per page; returns the files."""
    from PySide6.QtWidgets import QApplication

    from gui.app import MainWindow

    app = QApplication.instance() or QApplication(["trackside-screenshots"])
    app.setApplicationName("Trackside")
    window = MainWindow()
    window.resize(*WINDOW_SIZE)
    window.show()
    wait(app, 0.5)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (title, page) in enumerate(window.pages.items(), start=1):
        window.show_page(title)  # calls the page's on_shown
        window.ctx.model_selected.emit(model_name)
        if hasattr(page, "prepare_screenshot"):
            page.prepare_screenshot(model_name)
        if hasattr(page, "screenshot_ready"):
            wait(app, READY_TIMEOUT_S, until=page.screenshot_ready)
        wait(app, SETTLE_S)
        path = out / f"{i:02d}-{slug(title)}.png"
        if not window.grab().save(str(path)):
            raise OSError(f"{path}: could not write the PNG")
        written.append(path)
        log(f"  {path}")
    window.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"), help="folder for the PNG files")
    parser.add_argument("--keep-home", action="store_true", help="keep the temporary Trackside home")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="trackside-screenshots-"))
    os.environ["TRACKSIDE_HOME"] = str(home)
    try:
        name = build_data()
        print(f"rendering pages to {args.out}/")
        render_pages(args.out, name)
    finally:
        if args.keep_home:
            print(f"home kept at {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
