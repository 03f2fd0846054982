"""The live boards in a real browser: the system's Chromium, headless, driven by Playwright."""

import os
import time

import pytest

from gui.screenshots_web import PHONE, browser, chromium_path, demo_event, hand_timed, render_web_shots
from gui.web.server import EventServer
from league import raceday as rd
from league.db import open_db
from league.live import LiveStateWriter

pytestmark = pytest.mark.skipif(not os.path.exists(chromium_path()),
                                reason="Chromium is missing: apt-get install chromium (make test installs it)")


@pytest.fixture
def server():
    s = EventServer("127.0.0.1", 0).start()
    yield s
    s.stop()


def test_the_phone_board_shows_a_new_lap_and_the_racer_on_track_without_a_reload(server, tmp_path):
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop")
    hand_timed(db, ev, "ada", [13.0])
    with browser() as b:
        page = b.new_page(viewport=PHONE)
        page.goto(f"{server.url}/raceday/{ev.id}")
        page.wait_for_function("document.body.dataset.updates >= 1", timeout=5000)
        assert page.locator("#rows tr").count() == 1
        recorded = time.monotonic()
        hand_timed(db, ev, "<img src=x onerror=alert(1)>", [12.25])
        page.wait_for_function("document.querySelectorAll('#rows tr').length === 2", timeout=5000)
        seen = time.monotonic() - recorded
        first = page.locator("#rows tr").first.inner_text()
        assert "<img src=x onerror=alert(1)>" in first and "12.250" in first  # shown as text, first
        assert page.locator("#rows img").count() == 0
        assert seen < 1.0

        timer = ev.new_timer()
        timer.start(0.0)
        timer.capture_lap(14.5)
        LiveStateWriter().write(ev.id, {**timer.snapshot(20.0), "racer": "bo", "name": "Bo B."})
        page.wait_for_function("document.getElementById('cur-name').textContent === 'Bo B.'", timeout=5000)
        assert page.locator("#cur-best").inner_text() == "14.500" and page.locator("#cur-left").inner_text() == "3:40"
        page.screenshot(path=str(tmp_path / "phone-live.png"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone: no sideways scrolling
    assert (tmp_path / "phone-live.png").stat().st_size > 5000


def test_the_screenshot_module_saves_phone_tv_and_overlay_shots(tmp_path):
    written = render_web_shots(tmp_path)
    assert [p.name for p in written] == ["12-phone-board.png", "12-tv-board.png", "12-overlay.png"]
    assert all(p.stat().st_size > 10000 for p in written)


def test_an_overlay_on_a_transparent_background_leaves_the_scene_visible(server, tmp_path):
    ev = demo_event(open_db())
    with browser() as b:
        page = b.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{server.url}/overlay/lower-third?event={ev.id}")
        page.wait_for_function("document.body.dataset.updates >= 1", timeout=5000)
        png = page.screenshot(omit_background=True, path=str(tmp_path / "overlay.png"))
        corner = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert corner in ("rgba(0, 0, 0, 0)", "transparent") and len(png) > 5000
