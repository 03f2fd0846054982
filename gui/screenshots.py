"""Render every page of the app with real data to PNG files (``make screenshots``).

    python -m gui.screenshots [--out assets/screenshots]

Everything shown is real: in a temporary Trackside home a model is created with the
create-model form's defaults, trained for a few PPO iterations, and evaluated (its laps
written as a DeepRacer evaluation trace in the model folder); then the main window opens
offscreen and each page registered in :data:`gui.app.PAGES` that exists is shown with that
model selected and saved as ``NN-page-title.png``.

The league pages get real data too (:func:`build_league_data`): the sample league of a
first start with the model's checkpoints submitted for its racers (each evaluated for real),
a second race, and race-day sessions the model drove in the simulator, with racers still
queued; the Race day page then runs a simulated session and is grabbed mid-session.

A page may opt in to more than being shown: if it has ``prepare_screenshot(model_name)``
that is called after the page is shown (e.g. to start an evaluation and its replay), and if
it has ``screenshot_ready() -> bool`` the script waits (up to :data:`READY_TIMEOUT_S`) until
it returns True before grabbing. A page with ``extra_screenshots() -> [(name, widget)]``
has those widgets (e.g. the projector window) saved as well, as ``NN-page-title-name.png``.

Then the shots with obstacles and bot cars (:mod:`gui.screenshots_objects`): the Training page
following an object-avoidance and a head-to-bot training live, and the race-day console with
obstacles (``--only objects`` renders only these, without the data above); and the finals bracket on
the projector (:mod:`gui.screenshots_finals`; ``--only finals``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gui.screenshot_kit import READY_TIMEOUT_S, SETTLE_S, save, wait

MODEL = "my-first-model"
ITERATIONS = 3
WINDOW_SIZE = (1440, 900)


def build_data(log=print) -> str:
    """Create, train and evaluate a model in the current ``TRACKSIDE_HOME``; returns its name."""
    from gui.pages.create_model_io import DESCRIPTION_FILE
    from sim.actions import ActionSpace
    from sim.reward import EXAMPLES
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig, atomic_write
    from trainer.training import train_model

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
    """Drive ``laps`` evaluation laps with the model's usual checkpoint, written as DeepRacer's
    ``evaluation-<time>/evaluation-simtrace/0-iteration.csv``; returns the lap results."""
    from league.evaluation import evaluate_model
    from trainer.driving import EvaluationRules

    return evaluate_model(model, model.training_config().track, EvaluationRules(laps=laps)).laps


def build_league_data(model_name: str, log=print) -> None:
    """The sample league with real results from ``model_name`` in the current ``TRACKSIDE_HOME``.

    Virtual circuit: the model's checkpoints (final, then earlier iterations) are submitted
    for the sample racers to the sample race, and its final one to a one-lap sprint. Race
    day: the model drives two simulated sessions (recorded) and two racers wait in the queue,
    one with the model and one with a physical car.
    """
    import math

    from league import raceday as rd
    from league.db import LeagueError, open_db
    from league.raceday.simulated import run_simulated_session
    from league.races import create_race, submit
    from league.sample import EVENT, RACE, SEASON, ensure_sample_league
    from trainer.model_store import ModelStore

    db = open_db()
    ensure_sample_league(db)
    model = ModelStore().get(model_name)
    iterations = [c["iteration"] for c in model.list_checkpoints()]
    picks = [("ada", None), ("grace", iterations[0] if len(iterations) > 1 else None)]
    log("league: submitting to the sample race ...")
    for racer, checkpoint in picks:
        try:
            row = submit(db, RACE, racer, model, checkpoint)
            log(f"  {racer}: {row['time_s'] if row['complete'] else 'no valid result'}")
        except LeagueError as exc:
            log(f"  {racer}: {exc}")
    if ModelStore().exists("standard"):
        from league.sample import submit_sample_models

        submit_sample_models(db, "standard")
    create_race(db, "Oval sprint", "practice_oval_cup", season=SEASON, laps=1, max_submissions=3)
    with contextlib.suppress(LeagueError):
        submit(db, "Oval sprint", "ada", model)
    log("race day: simulated sessions ...")
    ev = rd.get_event(db, EVENT)
    for racer, name, checkpoint in (("maya", "Maya", None), ("theo", "Theo", picks[1][1])):
        timer = run_simulated_session(ev, racer, model, checkpoint, speed=math.inf)
        rd.record_session(db, ev, timer, racer=racer, display_name=name, driver="model", model=model_name,
                          checkpoint=None if checkpoint is None else str(checkpoint))
        log(f"  {racer}: {len(timer.laps)} laps, best {timer.result_s()}")
    rd.add_to_queue(db, ev, "lin", display_name="Lin", model=model_name)
    rd.add_to_queue(db, ev, "sam", display_name="Sam", car=True)
    db.conn.close()


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def render_pages(out: Path, model_name: str | None, log=print, objects: bool = True,
                 finals: bool = True) -> list[Path]:
    """Open the main window offscreen and save one PNG per page (none without ``model_name``), then
    with ``objects`` the shots with obstacles and bot cars; returns the files."""
    from PySide6.QtWidgets import QApplication

    from gui.app import MainWindow
    from gui.screenshots_objects import render_console_shot, render_training_shots
    from gui.screenshots_results import render_results_shots

    app = QApplication.instance() or QApplication(["trackside-screenshots"])
    app.setApplicationName("Trackside")
    window = MainWindow()
    window.resize(*WINDOW_SIZE)
    window.show()
    wait(app, 0.5)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (title, page) in enumerate(window.pages.items() if model_name else (), start=1):
        window.show_page(title)  # calls the page's on_shown
        window.ctx.model_selected.emit(model_name)
        if hasattr(page, "prepare_screenshot"):
            page.prepare_screenshot(model_name)
        if hasattr(page, "screenshot_ready"):
            wait(app, READY_TIMEOUT_S, until=page.screenshot_ready)
        wait(app, SETTLE_S)
        written.append(save(window, out / f"{i:02d}-{slug(title)}.png", log))
        for name, widget in (page.extra_screenshots() if hasattr(page, "extra_screenshots") else []):
            written.append(save(widget, out / f"{i:02d}-{slug(title)}-{slug(name)}.png", log))
    if model_name:  # the results editor over hand-timed, corrected sessions (gui.screenshots_results)
        written += render_results_shots(window, out, log)
    if objects:
        written += render_training_shots(window, out, log)
        written.extend(render_console_shot(window, out, log))
    if finals:
        from gui.screenshots_finals import render_bracket_shot

        written.append(render_bracket_shot(window, out, log))
    window.close()
    from gui.screenshots_print import render_certificate_shot  # a PDF page, no window needed

    written.append(render_certificate_shot(out, log))  # the winner's certificate, as a PNG
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"), help="folder for the PNG files")
    parser.add_argument("--keep-home", action="store_true", help="keep the temporary Trackside home")
    parser.add_argument("--only", choices=("all", "objects", "finals", "coaching"), default="all",
                        help="objects: only the shots with obstacles and bot cars (training page, race-day console); "
                             "finals: only the bracket on the projector; coaching: only the coaching card")
    args = parser.parse_args(argv)
    from trainer.policy import use_one_torch_thread

    use_one_torch_thread()  # once, at the start: laps shown equal `trackside evaluate`'s
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="trackside-screenshots-"))
    os.environ["TRACKSIDE_HOME"] = str(home)
    try:
        from gui.screenshots_coaching import render_coaching_shot
        from gui.screenshots_objects import build_object_models

        if args.only == "coaching":
            render_coaching_shot(args.out)
            return 0

        name = None
        if args.only == "all":
            name = build_data()
            build_league_data(name)
        if args.only != "finals":
            print("models with obstacles and bot cars ...")
            build_object_models()
        print(f"rendering pages to {args.out}/")
        render_pages(args.out, name, objects=args.only != "finals", finals=args.only != "objects")
        render_coaching_shot(args.out)
        from gui.screenshots_web import render_web_shots  # the event server's pages, in Chromium
        render_web_shots(args.out)
    finally:
        if args.keep_home:
            print(f"home kept at {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
