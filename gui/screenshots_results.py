"""The "results editor" screenshot, for ``make screenshots`` (:mod:`gui.screenshots`), or alone:

    python -m gui.screenshots_results [--out assets/screenshots]

``NN-results-editor.png``: the Results page on a race-day event whose sessions were timed by hand
(physical cars on the workshop's track: the timer is :class:`league.timing.SessionTimer` fed the
lap times a timekeeper captured) and then corrected as a marshal would: a mistyped lap time, a
time penalty for a cut corner, a lap ruled invalid, a session recorded under the wrong racer.
Every correction goes through ``league.corrections``, as from the page or the command line, so
the board and the corrections list shown are what the league computes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

EVENT = "Friday club night"
TIMED = (("ada", "Ada", (13.412, 12.204, 11.871, 12.530)), ("grace", "Grace", (12.902, 12.115, 14.388)),
         ("lin", "Lin", (13.950, 12.644, 12.398, 12.077)), ("sam", "Sam", (15.210, 13.733)))
"""``(alias, display name, lap times s)`` captured by the timekeeper, in running order."""
WINDOW_SIZE = (1440, 900)
"""As ``gui.screenshots.WINDOW_SIZE`` (not imported: that module imports this one)."""


def build_results_data(log=print) -> str:
    """The hand-timed event with its corrections in the current ``TRACKSIDE_HOME``; its name."""
    from league import corrections
    from league.db import open_db
    from league.raceday import create_event, list_events, record_session
    from league.sample import ensure_sample_league

    db = open_db()
    ensure_sample_league(db)
    if any(ev.name == EVENT for ev in list_events(db)):
        return EVENT
    ev = create_event(db, EVENT, "workshop_loop", length_s=120.0, resets_limit=2)
    ids = {}
    for alias, name, laps in TIMED:
        timer, now = ev.new_timer(), 0.0
        timer.start(now)
        for k, lap_s in enumerate(laps):
            if k == 1 and alias == "grace":
                timer.add_reset(now + 3.0)
            now += lap_s
            timer.capture_lap(now)
        timer.end(now + 2.0)
        ids[alias] = record_session(db, ev, timer, racer=alias, display_name=name, driver="car")
    corrections.edit_lap(db, ids["ada"], 3, "marshal", time_s=11.917, reason="finish typed as 11.871 by mistake")
    corrections.edit_lap(db, ids["lin"], 4, "marshal", penalty_s=1.0, reason="cut the hairpin")
    corrections.edit_lap(db, ids["grace"], 2, "head judge", valid=False, reason="protest upheld: off at turn 3")
    corrections.reassign_session(db, ids["sam"], "theo", "marshal", display_name="Theo",
                                 reason="Theo drove Sam's slot")
    log(f"  {EVENT}: {len(TIMED)} hand-timed sessions, 4 corrections")
    db.conn.close()
    return EVENT


def render_results_shots(window, out: Path, log=print) -> list[Path]:
    """The Results page on :data:`EVENT`, Ada's session and its corrected lap selected; the files."""
    from gui.screenshot_kit import SETTLE_S, save, wait

    build_results_data(log)
    window.show_page("Results")
    page = window.pages["Results"]
    page.refresh()
    page.source_box.setCurrentIndex(page.source_box.findText(f"Race day: {EVENT}"))
    page.rows_view.selectRow(0)
    page.laps_view.selectRow(2)
    wait(None, SETTLE_S)
    index = list(window.pages).index("Results") + 1
    return [save(window, out / f"{index:02d}-results-editor.png", log)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots_results", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"), help="folder for the PNG files")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="trackside-screenshots-"))
    os.environ["TRACKSIDE_HOME"] = str(home)
    try:
        from PySide6.QtWidgets import QApplication

        from gui.app import MainWindow

        app = QApplication.instance() or QApplication(["trackside-screenshots"])
        app.setApplicationName("Trackside")
        window = MainWindow()
        window.resize(*WINDOW_SIZE)
        window.show()
        args.out.mkdir(parents=True, exist_ok=True)
        render_results_shots(window, args.out)
        window.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
