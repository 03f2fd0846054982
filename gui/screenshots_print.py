"""The certificate among the screenshots (``make screenshots``, :mod:`gui.screenshots`): the winner's
certificate of the race-day event, written by :mod:`league.printouts` and its first page rendered to
PNG by poppler's ``pdftoppm`` (what a person sees when they open or print the PDF).

It prints the sample event (:data:`league.sample.EVENT`) when that has results (the full
screenshot run gives it simulated sessions of the screenshot model); otherwise, and when run on its
own, it builds a small event in the current ``TRACKSIDE_HOME``: the ``standard`` model drives one
simulated minute for Zoë, and two racers with physical cars are timed by hand.

    python -m gui.screenshots_print [--out assets/screenshots]   # in a temporary home
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DPI = 100
"""Resolution of the PNG, dots per inch (an A4 page is 827 x 1169 px)."""
OWN_EVENT = "Trackside Grand Prix"


def render_certificate_shot(out: Path, log=print) -> Path:
    """Write ``NN-race-day-certificate.png`` (NN: the Race day page's number) into ``out``; returns it."""
    from gui.app import PAGES
    from league.db import open_db
    from league.printouts import write_printout
    from league.raceday import event_leaderboard, get_event, list_events
    from league.sample import EVENT

    db = open_db()
    names = {e.name for e in list_events(db)}
    event = EVENT if EVENT in names and event_leaderboard(db, get_event(db, EVENT)) else build_event(db)
    index = [title for title, _ in PAGES].index("Race day") + 1
    path = out / f"{index:02d}-race-day-certificate.png"
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_printout(db, "certificates", event, Path(tmp) / "certificates.pdf")
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(Path(tmp) / "page")], check=True)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "page.png", path)
    db.conn.close()
    log(f"  {path}")
    return path


def build_event(db) -> str:
    """:data:`OWN_EVENT` with a simulated session (the ``standard`` model, seed 7) and two hand-timed ones."""
    from league import raceday as rd
    from league.raceday.simulated import run_simulated_session

    ev = rd.create_event(db, OWN_EVENT, "workshop_loop", length_s=60, resets_limit=3)
    timer = run_simulated_session(ev, "zoe", "standard", speed=math.inf, seed=7)
    rd.record_session(db, ev, timer, racer="zoe", display_name="Zoë Šimić", driver="model", model="standard")
    for alias, name, laps in (("bjorn", "Björn Ångström", (9.8, 8.9, 9.1)), ("ana", "Ana Lucía", (10.2, 9.4))):
        t, now = ev.new_timer(), 0.0
        t.start(now)
        for lap in laps:
            now += lap
            t.capture_lap(now)
        t.end(now + 1)
        rd.record_session(db, ev, t, racer=alias, display_name=name)
    return ev.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots_print", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"), help="folder for the PNG file")
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="trackside-print-shot-"))
    os.environ["TRACKSIDE_HOME"] = str(home)
    try:
        render_certificate_shot(args.out)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
