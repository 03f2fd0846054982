"""The app's event-server panel, the console's live state on the boards, and the projector's QR badge:
real Qt widgets (offscreen), a real server on localhost, real SQLite."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt

from gui.pages.raceday import RaceDayPage
from gui.projector import open_projector
from gui.server_panel import open_server_panel
from league import raceday as rd
from league.live import read_live_state
from league.tokens import check_token, scope_of


class Clock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def page(qtbot, ctx):
    clock = Clock()
    p = RaceDayPage(ctx, clock=clock)
    p.clock_for_test = clock
    qtbot.addWidget(p)
    yield p
    server = getattr(ctx, "event_server", None)
    if server is not None:
        server.stop()
    p.shutdown()


def test_the_panel_serves_shows_the_address_qr_and_token_and_the_board_follows_the_console(qtbot, page):
    panel = open_server_panel(page)
    qtbot.addWidget(panel)
    event = rd.get_event(page.db, page.event_box.currentData())
    scope = scope_of("raceday", event.id)
    token = panel.token.text()
    assert check_token(page.db, scope, token)
    panel.new_token.click()
    assert panel.token.text() != token and check_token(page.db, scope, panel.token.text())
    assert not check_token(page.db, scope, token)

    panel.port.setValue(0)  # any free port
    panel.toggle.click()
    server = page.ctx.event_server
    assert server is not None and panel.toggle.text() == "Stop" and not panel.qr.pixmap().isNull()
    assert server.url in panel.address.text()
    base = f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{base}/healthz").json() == {"ok": True}

    assert page.add_to_queue("bob", display_name="Bob", car=True) and page.load()
    clock = page.clock_for_test
    qtbot.keyClick(page.console, Qt.Key.Key_Space)  # the clock starts
    clock.t = 1012.5
    qtbot.keyClick(page.console, Qt.Key.Key_Space)  # lap 1: 12.5 s
    clock.t = 1020.0
    page.console.refresh()
    state = read_live_state(event.id)
    assert state["racer"] == "bob" and [lap["time_s"] for lap in state["laps"]] == [12.5]
    qtbot.waitUntil(lambda: (httpx.get(f"{base}/api/raceday/{event.id}").json()["current"] or {}).get("laps") == 1,
                    timeout=3000)
    current = httpx.get(f"{base}/api/raceday/{event.id}").json()["current"]
    assert current["name"] == "Bob" and current["best_lap_s"] == 12.5

    panel.toggle.click()
    assert page.ctx.event_server is None and panel.toggle.text() == "Start"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{base}/healthz", timeout=1)


def test_the_projector_shows_the_qr_code_while_the_server_runs(qtbot, page):
    window = open_projector(page.ctx, full_screen=False)
    qtbot.addWidget(window)
    panel = open_server_panel(page)
    qtbot.addWidget(panel)
    panel.port.setValue(0)
    panel.toggle.click()
    badge = window.server_badge
    assert badge.isVisible() and page.ctx.event_server.url.removeprefix("http://") == badge.address.text()
    assert badge.geometry().right() <= window.width() and badge.geometry().bottom() <= window.height()
    panel.toggle.click()
    assert not badge.isVisible()


def test_a_lap_timer_on_the_network_times_the_consoles_session_through_the_apps_server(qtbot, page):
    import threading

    panel = open_server_panel(page)
    qtbot.addWidget(panel)
    event = rd.get_event(page.db, page.event_box.currentData())
    panel.port.setValue(0)
    panel.toggle.click()
    base = f"http://127.0.0.1:{page.ctx.event_server.port}"
    assert page.add_to_queue("bob", display_name="Bob", car=True) and page.load()
    answers = []

    clock = page.clock_for_test

    def sensor(*times_s):  # a timer box on the venue network: its own clock, DREM's message
        for t in times_s:
            clock.t = 1000.0 + (t - 500.0) + 0.05  # the crossing reaches the app 50 ms after the sensor saw it
            answers.append(httpx.post(f"{base}/api/timer/{event.id}", json={"event": "lap", "timestamp": t * 1000,
                                      "gpio": 17}, headers={"X-Trackside-Token": panel.token.text()}, timeout=10))

    worker = threading.Thread(target=sensor, args=(500.0, 512.25))  # the GUI thread must stay free to answer
    worker.start()
    qtbot.waitUntil(lambda: not worker.is_alive(), timeout=15000)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert [lap.time_s for lap in page.console.session.timer.laps] == [12.25]
