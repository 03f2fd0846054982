"""The screenshots with obstacles and bot cars, for ``make screenshots`` (:mod:`gui.screenshots`;
``python -m gui.screenshots --only objects`` renders only these):

- ``NN-training-object-avoidance.png`` and ``NN-training-head-to-bot.png``: the Training page
  following a real training run of an object-avoidance model (3 boxes) and of a head-to-bot model
  (2 bot cars changing lanes). Each is a clone of the ``standard`` model (so its cars already drive
  laps) that goes on training among its objects; the boxes and bots drawn come from its telemetry.
- ``NN-race-day-console-obstacles.png``: the race-day session console during a simulated session of
  the sample event. The session is real (the ``standard`` model driving the event's track, every
  state the console is sent); its states carry ``objects`` (object rows, :mod:`sim.object_rows`)
  as race-day states of an object-avoidance event do. Where the session's own states have none
  (an event that is a time trial), the rows come from a real :class:`sim.objects.ObjectWorld`: 3 boxes
  on the event's track at fixed positions clear of the car's recent path. The console draws them
  once it draws ``state["objects"]``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

OA_MODEL = "avoid-boxes"
H2B_MODEL = "pass-bots"
RACES = {OA_MODEL: ("object_avoidance", {"NUMBER_OF_OBSTACLES": 3}),
         H2B_MODEL: ("head_to_bot", {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.8, "IS_LANE_CHANGE": True})}
"""The screenshot models and their race types (DeepRacer's setting names)."""
CONSOLE_BOXES = 3
CONSOLE_LAPS = 2
"""The console is grabbed a few seconds into the lap after this many."""
TRAIL_STATES = 45
"""States fed to the console before the grab: the car's last 3 s, its trail on the console."""


def build_object_models(log=print) -> list[str]:
    """Clone ``standard`` into :data:`RACES`' models in the current ``TRACKSIDE_HOME``; their names."""
    from trainer.model_store import STANDARD_NAME, ModelStore

    store = ModelStore()
    base = store.get(STANDARD_NAME).training_config()
    for name, (race_type, settings) in RACES.items():
        store.clone(STANDARD_NAME, name, training_config=replace(base, race_type=race_type, race_settings=settings))
        log(f"  {name}: a clone of {STANDARD_NAME}, {race_type}")
    return list(RACES)


def render_training_shots(window, out: Path, log=print) -> list[Path]:
    """The Training page following each of :data:`RACES`' models training live; the files written."""
    from gui.screenshot_kit import READY_TIMEOUT_S, SETTLE_S, save, wait
    from trainer import training_process as tp
    from trainer.model_store import ModelStore, ModelStoreError

    store = ModelStore()
    for name in tp.running_models(store):  # the page shots are taken: their trainings give the CPU back
        with contextlib.suppress(ModelStoreError):
            tp.stop_training(store.get(name))
    index = list(window.pages).index("Training") + 1
    page, written = window.pages["Training"], []
    for name, (race_type, _) in RACES.items():
        window.show_page("Training")
        window.ctx.model_selected.emit(name)
        page.prepare_screenshot(name)
        wait(None, READY_TIMEOUT_S, until=page.screenshot_ready)
        wait(None, SETTLE_S)
        path = out / f"{index:02d}-training-{race_type.replace('_', '-')}.png"
        written.append(save(window, path, log))
        with contextlib.suppress(ModelStoreError):
            tp.stop_training(store.get(name))
    return written


def session_states(event, model: str = "standard", seed: int = 5) -> list[dict]:
    """Every state a simulated session of ``event`` sends its console (one per step, as a console
    at full speed would see them) while the car is on track, up to a few seconds into the lap after
    :data:`CONSOLE_LAPS` laps."""
    from league.raceday.simulated import run_simulated_session
    from league.timing import RUNNING

    states: list[dict] = []
    wall = itertools.count(0.0, 0.06)  # every state passes the 20 Hz limit: one a step

    def enough() -> bool:
        last = states[-1] if states else None
        return last is not None and len(last["laps"]) >= CONSOLE_LAPS and (last["running_lap_s"] or 0) > 4.0

    run_simulated_session(event, "maya", model, speed=math.inf, on_update=states.append, should_stop=enough,
                          sleep=lambda s: None, wall_clock=lambda: next(wall), seed=seed)
    return [s for s in states if s.get("car") and s["state"] == RUNNING]  # not the end that stopping it made


def clear_boxes(track, path: np.ndarray, boxes: int = CONSOLE_BOXES, gap_m: float = 0.6,
                car_gap_m: float = 1.2, min_spacing: float = 0.12) -> list[list[float]]:
    """Object rows of up to ``boxes`` boxes, at least ``min_spacing`` of the lap apart, that stand at
    least ``gap_m`` from every point of ``path`` ``(k, 2)`` m and ``car_gap_m`` from its last point
    (the car). The boxes
    are placed by a real ``ObjectWorld`` at DeepRacer's fixed ``OBJECT_POSITIONS``: the candidates
    are 20 distances along the lap in each lane."""
    from sim.object_rows import object_rows
    from sim.objects import ObjectsConfig, ObjectWorld

    fractions = np.arange(20) / 20 + 0.025
    candidates = []
    for lane in (1, -1):  # inner, outer: one world of 20 boxes each (20 is the most a world holds)
        world = ObjectWorld(track, ObjectsConfig(object_positions=tuple((f, lane) for f in fractions)), 1)
        world.reset(np.array([0]), np.array([False]), np.random.default_rng(0))
        candidates.append(object_rows(world.state, 0))
    rows = np.vstack(candidates)
    along = np.concatenate([fractions, fractions])
    gaps = np.hypot(path[:, None, 0] - rows[None, :, 0], path[:, None, 1] - rows[None, :, 1])
    clear = np.flatnonzero((gaps.min(axis=0) > gap_m) & (gaps[-1] > car_gap_m))
    picked: list[int] = []
    for i in clear[np.argsort(-gaps.min(axis=0)[clear], kind="stable")]:  # the clearest first, spread out
        apart = [abs((along[i] - along[j] + 0.5) % 1.0 - 0.5) for j in picked]
        if len(picked) < boxes and all(d >= min_spacing for d in apart):
            picked.append(int(i))
    return rows[sorted(picked, key=lambda i: along[i])].round(3).tolist()


def render_console_shot(window, out: Path, log=print) -> Path:
    """The race-day console fed a simulated session's states that carry obstacles; the file written."""
    from PySide6.QtWidgets import QApplication

    from gui.pages.raceday_console import SessionConsole
    from gui.pages.raceday_session import SimulatedSession
    from gui.screenshot_kit import SETTLE_S, save, wait
    from league import raceday as rd
    from league.db import open_db
    from league.sample import EVENT, ensure_sample_league
    from sim.library import load_track

    db = open_db()
    ensure_sample_league(db)
    event = rd.get_event(db, EVENT)
    db.conn.close()
    states = session_states(event)[-TRAIL_STATES:]
    if "objects" not in states[-1]:  # a time-trial event's states: boxes clear of the car's path
        path = np.array([[s["car"]["x"], s["car"]["y"]] for s in states])
        rows = clear_boxes(load_track(event.track), path)
        states = [{**s, "objects": rows} for s in states]
    console = SessionConsole()
    console.resize(1200, 820)
    console.set_event(event)
    entry = {"racer": "maya", "display_name": "Maya", "driver": "model", "model": "standard", "checkpoint": None}
    session = SimulatedSession(event, entry, "standard", speed=0)
    console.set_session(session)
    console.show()
    for state in states:  # as a running session hands them over: the newest state, then a refresh
        session.latest = state
        session.changed.emit()
    wait(QApplication.instance(), SETTLE_S)
    index = list(window.pages).index("Race day") + 1
    path = save(console, out / f"{index:02d}-race-day-console-obstacles.png", log)
    console.set_session(None)
    console.close()
    return path
