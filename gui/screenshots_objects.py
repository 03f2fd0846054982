"""The screenshots with obstacles and bot cars, for ``make screenshots`` (:mod:`gui.screenshots`;
``python -m gui.screenshots --only objects`` renders only these):

- ``NN-training-object-avoidance.png`` and ``NN-training-head-to-bot.png``: the Training page
  following a real training run of an object-avoidance model (3 boxes) and of a head-to-bot model
  (2 bot cars changing lanes). Each is a clone of the ``standard`` model (so its cars already drive
  laps) that goes on training among its objects; the boxes and bots drawn come from its telemetry.
- ``NN-race-day-console-obstacles.png`` and ``NN-race-day-console-bots.png``: the race-day session
  console during a real simulated session (the ``standard`` model) of an object-avoidance event (3
  boxes) and of a head-to-bot event (2 bot cars) on the sample event's track. The console is fed
  the states the session sent, which carry the objects (:mod:`sim.object_rows`), and shows the
  event's collisions column.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import replace
from pathlib import Path


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


CONSOLE_EVENTS = {"obstacles": ("Boxes Friday", "object_avoidance", {"NUMBER_OF_OBSTACLES": 3}),
                  "bots": ("Bots Friday", "head_to_bot", {"NUMBER_OF_BOT_CARS": 2, "BOT_CAR_SPEED": 0.5})}
"""The console shots: file suffix -> (event name, race type, DeepRacer settings)."""


def object_event(db, suffix: str):
    """The console shot's event :data:`CONSOLE_EVENTS` ``[suffix]`` on the sample event's track (created once)."""
    from league import raceday as rd
    from league.db import LeagueError
    from league.sample import EVENT, ensure_sample_league

    name, race_type, settings = CONSOLE_EVENTS[suffix]
    try:
        return rd.get_event(db, name)
    except LeagueError:
        ensure_sample_league(db)
        track = rd.get_event(db, EVENT).track
        return rd.create_event(db, name, track, race_type=race_type, race_settings=settings)


def render_console_shot(window, out: Path, log=print) -> list[Path]:
    """The race-day console fed real simulated sessions of an object-avoidance and a head-to-bot
    event; the files written."""
    from PySide6.QtWidgets import QApplication

    from gui.pages.raceday_console import SessionConsole
    from gui.pages.raceday_session import SimulatedSession
    from gui.screenshot_kit import SETTLE_S, save, wait
    from league.db import open_db

    index = list(window.pages).index("Race day") + 1
    written = []
    for suffix in CONSOLE_EVENTS:
        db = open_db()
        event = object_event(db, suffix)
        db.conn.close()
        states = session_states(event)[-TRAIL_STATES:]
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
        written.append(save(console, out / f"{index:02d}-race-day-console-{suffix}.png", log))
        console.set_session(None)
        console.close()
    return written
