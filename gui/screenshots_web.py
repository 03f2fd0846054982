"""The event server's pages in a real browser, for ``make screenshots`` (:mod:`gui.screenshots`) and the
browser tests: Chromium from the operating system's packages, driven by Playwright.

    python -m gui.screenshots_web [--out assets/screenshots]

- ``12-phone-board.png``: the race-day board on a phone (360x740), a racer on track;
- ``12-tv-board.png``: the same board on a TV (``?tv=1``, 1920x1080);
- ``12-overlay.png``: the lower third and the board overlay as OBS shows them over a scene
  (transparent background; rendered over a dark grey stand-in for the video).

The data is real: hand-timed sessions recorded through ``league.raceday`` in the current
``TRACKSIDE_HOME`` and a session on track written to its live-state file (``league.live``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (``apt-get install chromium``); ``TRACKSIDE_CHROMIUM`` overrides it."""
INDEX = 12
PHONE = {"width": 360, "height": 740}
TV = {"width": 1920, "height": 1080}
RACERS = [("ada", "Ada Lovelace", [13.412, 12.871, 12.655]), ("grace", "Grace Hopper", [12.944, 12.503]),
          ("alan", "Alan T.", [14.020, 13.310, 13.122]), ("kat", "Katherine J.", [12.990, 12.733]),
          ("linus", "<script>alert('linus')</script>", [15.281, 14.004])]


def chromium_path() -> str:
    return os.environ.get("TRACKSIDE_CHROMIUM") or CHROMIUM


@contextlib.contextmanager
def browser():
    """A headless Chromium (Playwright with the system's executable)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def hand_timed(db, ev, racer: str, laps: list[float]) -> int:
    """Record a submitted hand-timed session with these lap times (s); returns its id."""
    from league import raceday as rd

    timer, t = ev.new_timer(), 0.0
    timer.start(t)
    for lap in laps:
        t += lap
        timer.capture_lap(t)
    timer.end(t + 1.0)
    return rd.submit_session(db, rd.start_session(db, ev, racer, model="standard"), timer)


def demo_event(db):
    """A race-day event with five racers' sessions and one racer on track (its live-state file)."""
    from league import raceday as rd
    from league.db import LeagueError
    from league.live import LiveStateWriter
    from league.racers import add_racer, get_racer

    def ensure_racer(alias: str, name: str) -> None:  # the full screenshot run's home has league racers already
        try:
            get_racer(db, alias)
        except LeagueError:
            add_racer(db, alias, name)

    ev = rd.create_event(db, "Friday night", "workshop_loop")
    for alias, name, laps in RACERS:
        ensure_racer(alias, name)
        hand_timed(db, ev, alias, laps)
    ensure_racer("mo", "Mo Farah-Smith")
    timer = ev.new_timer()
    timer.start(0.0)
    timer.capture_lap(13.204)
    timer.capture_lap(13.204 + 12.861)
    LiveStateWriter().write(ev.id, {**timer.snapshot(34.5), "racer": "mo", "name": "Mo Farah-Smith"})
    return ev


def shoot(b, url: str, path: Path, viewport: dict, log=print, *, wait_live: bool = True) -> Path:
    """Open ``url`` at ``viewport``, wait for its first live update, save a PNG."""
    page = b.new_page(viewport=viewport)
    try:
        page.goto(url)
        if wait_live:
            page.wait_for_function("document.body.dataset.updates >= 1", timeout=5000)
        time.sleep(0.3)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
        log(f"  {path}")
        return path
    finally:
        page.close()


def render_web_shots(out: Path, log=print) -> list[Path]:
    """Serve a demo event and save the phone board, TV board and overlay shots to ``out``."""
    from gui.web.server import EventServer
    from league.db import open_db

    if not os.path.exists(chromium_path()):
        log(f"  no Chromium at {chromium_path()}: the event server's shots are skipped (apt-get install chromium)")
        return []
    ev = demo_event(open_db())
    server = EventServer("127.0.0.1", 0).start()
    try:
        with browser() as b:
            base = f"{server.url}"
            return [shoot(b, f"{base}/raceday/{ev.id}", out / f"{INDEX}-phone-board.png", PHONE, log),
                    shoot(b, f"{base}/raceday/{ev.id}?tv=1", out / f"{INDEX}-tv-board.png", TV, log),
                    shoot_overlay(b, base, ev.id, out / f"{INDEX}-overlay.png", log)]
    finally:
        server.stop()


def shoot_overlay(b, base: str, event_id: int, path: Path, log=print) -> Path:
    """The board overlay and the lower third, both over one stand-in scene (two OBS sources)."""
    page = b.new_page(viewport=TV)
    try:
        page.set_content(
            "<body style='margin:0;background:#3b4652'>"
            f"<iframe src='{base}/overlay/board?event={event_id}&rows=5' style='position:fixed;inset:0;"
            "width:1920px;height:1080px;border:0' allowtransparency></iframe>"
            f"<iframe src='{base}/overlay/lower-third?event={event_id}' style='position:fixed;inset:0;"
            "width:1920px;height:1080px;border:0' allowtransparency></iframe></body>")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(
                f.evaluate("document.body && document.body.dataset.updates >= 1") for f in page.frames[1:]):
            time.sleep(0.05)
        time.sleep(0.3)
        page.screenshot(path=str(path))
        log(f"  {path}")
        return path
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gui.screenshots_web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/screenshots"), help="folder for the PNG files")
    args = parser.parse_args(argv)
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-web-shots-")
    render_web_shots(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
