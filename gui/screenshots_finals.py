"""The finals screenshot, for ``make screenshots`` (:mod:`gui.screenshots`;
``python -m gui.screenshots --only finals`` renders only this one):

- ``NN-race-day-projector-bracket.png``: the projector window showing the knockout bracket of an
  event's finals. The event is real: eight racers qualify with recorded sessions (five simulated
  sessions' worth of laps from racers who brought the ``standard`` model, three physical cars timed
  by hand; the laps are entered through the timekeeper's :class:`league.timing.SessionTimer`), the
  finals are seeded from its board (:func:`league.finals.create_finals`), the quarter-finals between
  two models are raced for real as head-to-model heats (:func:`league.finals_run.run_heat`), the others
  are recorded as timed heats, and one semi-final is decided, so the next heat is framed.
"""

from __future__ import annotations

from pathlib import Path

EVENT = "Friday finals"
RACERS = (("ada", "Ada L.", True, 11.8), ("grace", "Grace H.", True, 12.1), ("maya", "Maya", False, 12.4),
          ("theo", "Theo", True, 12.6), ("lin", "Lin", True, 12.9), ("sam", "Sam", False, 13.3),
          ("zoe", "Zo\u00eb", True, 13.6), ("ravi", "Ravi", False, 14.2))
"""``(alias, name, brought the standard model, best qualifying lap s)``, best first."""


def build_finals_data(log=print) -> None:
    """The event, its qualifying sessions and finals with some heats decided, in ``TRACKSIDE_HOME``."""
    from league import finals as fl
    from league import raceday as rd
    from league.db import open_db
    from league.finals_run import run_heat

    db = open_db()
    ev = rd.create_event(db, EVENT, "workshop_loop")
    for alias, name, model, best in RACERS:
        timer = ev.new_timer()
        t = 0.0
        timer.start(t)
        for lap in (best + 0.9, best, best + 0.4):
            t += lap
            timer.capture_lap(t)
        timer.end(t + 1.0)
        rd.record_session(db, ev, timer, racer=alias, display_name=name, driver="model" if model else "car",
                          model="standard" if model else None)
    final = fl.create_finals(db, ev, 8, laps=2)
    log(f"finals: {final.kind} of {final.size}")
    for heat in [h for h in fl.heats(db, final) if h["round"] == 1]:
        cars = {r["racer"]: r["model"] for r in fl.finalists(db, final)}
        if cars[heat["racer_a"]] and cars[heat["racer_b"]]:
            done = run_heat(db, ev, heat["id"], seed=heat["id"], who="screenshots")
        else:
            done = fl.record_heat(db, ev, heat["id"], time_a_s=27.45 + heat["slot"], time_b_s=28.1 + heat["slot"],
                                  who="screenshots")
        log(f"  heat {heat['id']}: {done['winner']} ({done['method']})")
    semi = fl.next_heat(db, final)
    fl.record_heat(db, ev, semi["id"], time_a_s=26.912, time_b_s=27.305, who="screenshots")
    db.conn.close()


def render_bracket_shot(window, out: Path, log=print) -> Path:
    """The projector showing the finals of :data:`EVENT`; the file written."""
    from PySide6.QtWidgets import QApplication

    from gui.projector import ProjectorWindow
    from gui.projector_feed import ProjectorFeed
    from gui.screenshot_kit import SETTLE_S, save, wait

    build_finals_data(log)
    feed = ProjectorFeed()
    feed.follow_event(EVENT)
    feed.show_view("bracket")
    projector = ProjectorWindow(feed)
    projector.resize(1280, 720)
    projector.show()
    wait(QApplication.instance(), SETTLE_S)
    index = list(window.pages).index("Race day") + 1 if window is not None else 8
    path = save(projector, out / f"{index:02d}-race-day-projector-bracket.png", log)
    projector.close()
    return path
