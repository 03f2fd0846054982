"""Lap sensors feed the race-day console's hand-timed session: a serial board on a real pseudo-terminal,
and a network timer over real HTTP, beside the keyboard."""

import os
import threading
import time

import httpx
import pytest

from gui.pages.raceday import RaceDayPage
from gui.timer_link import timer_link
from gui.web.context import TOKEN_HEADER, WebContext
from gui.web.server import EventServer
from league import raceday as rd
from league.tokens import scope_of, token_for


class Clock:
    """A monotonic clock the test moves by hand, s."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def page(qtbot, ctx, clock):
    p = RaceDayPage(ctx, clock=clock, sample=False)
    qtbot.addWidget(p)
    yield p
    timer_link().close_serial()
    p.shutdown()


@pytest.fixture
def pty():
    """A pseudo-terminal: the test writes on ``master`` what a sensor board would send on ``name``."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def load_car(page, min_lap_s=2.0):
    ev = rd.create_event(page.db, "Sensor cup", "workshop_loop", length_s=60, min_lap_s=min_lap_s)
    entry = rd.add_to_queue(page.db, ev, "ada", car=True)
    page.refresh()
    page.event_box.setCurrentIndex(page.event_box.findData(ev.id))
    assert page.load(entry["id"])
    return ev, entry


def send(qtbot, page, master, line: bytes, laps: int | None = None, state=None):
    """Write ``line`` as the board would; wait until the session has ``laps`` laps (or its ``state``)."""
    os.write(master, line)
    s = page.session
    qtbot.waitUntil(lambda: (laps is None or len(s.timer.laps) == laps) and (state is None or s.state == state),
                    timeout=3000)


def test_a_serial_sensor_on_a_pty_starts_the_session_and_times_laps(qtbot, page, clock, pty):
    master, name = pty
    _, entry = load_car(page)
    reader = timer_link().open_serial(name)
    qtbot.waitUntil(lambda: f"sensor {name} connected" in page.session.describe(), timeout=3000)
    assert reader.connected
    clock.t = 1000.0
    send(qtbot, page, master, b"# lap sensor v2\r\nLAP 5000\r\n", state="running")  # the first crossing starts
    assert rd.get_entry(page.db, entry["id"])["state"] == "running"  # through the league, as Space does
    clock.t = 1012.4
    send(qtbot, page, master, b"17345\n", laps=1)
    assert page.session.timer.laps[0].time_s == pytest.approx(12.345)  # the board's time, not the arrival
    assert "lap 1: 12.345 s" in page.console.status.text()
    clock.t = 1012.7
    send(qtbot, page, master, b"17600\n")  # the car's rear wheels: a double trigger
    qtbot.waitUntil(lambda: "double trigger" in page.console.status.text(), timeout=3000)
    assert len(page.session.timer.laps) == 1 and page.console.messages[-1][0] == "refused"
    notes = []
    timer_link().sensor_changed.connect(notes.append)
    send(qtbot, page, master, b"LAPX\n")
    qtbot.waitUntil(lambda: any("LAPX" in n for n in notes), timeout=3000)
    clock.t = 1024.1  # arrives 0.1 s after the crossing (inside SENSOR_GRACE_S)
    send(qtbot, page, master, b"29000\n", laps=2)
    assert page.session.timer.laps[1].time_s == pytest.approx(11.655)
    # The timekeeper still corrects: that was a marshal in the beam.
    clock.t = 1026.0
    assert page.console.do("undo_finish") and len(page.session.timer.laps) == 1
    clock.t = 1036.2
    send(qtbot, page, master, b"41000\n", laps=2)
    assert page.session.timer.laps[1].time_s == pytest.approx(41.0 - 17.345)  # from lap 1's end


def test_a_line_without_a_time_is_stamped_when_read(qtbot, ctx, pty):
    master, name = pty
    p = RaceDayPage(ctx, sample=False)  # the app's own clock: time.monotonic
    qtbot.addWidget(p)
    try:
        load_car(p, min_lap_s=0.5)
        timer_link().open_serial(name)
        qtbot.waitUntil(lambda: timer_link().serial.connected, timeout=3000)
        send(qtbot, p, master, b"L\n", state="running")
        time.sleep(0.8)
        send(qtbot, p, master, b"L\n", laps=1)
        assert 0.75 <= p.session.timer.laps[0].time_s < 1.2
    finally:
        timer_link().close_serial()
        p.shutdown()


def test_a_port_that_cannot_open_says_why(qtbot, page):
    notes = []
    timer_link().sensor_changed.connect(notes.append)
    timer_link().open_serial("/dev/no-such-sensor")
    qtbot.waitUntil(lambda: any("cannot open /dev/no-such-sensor" in n for n in notes), timeout=3000)


def post_in_thread(url, token, body):
    out = {}

    def go():
        out["r"] = httpx.post(url, json=body, headers={TOKEN_HEADER: token}, timeout=10)

    t = threading.Thread(target=go)
    t.start()
    return t, out


def test_network_crossings_reach_the_console_session_over_http(qtbot, page, clock):
    ev, _ = load_car(page)
    token = token_for(page.db, scope_of("raceday", ev.id))
    server = EventServer("127.0.0.1", 0, WebContext(timer_sink=timer_link().sink), features=("gui.web.timer",))
    server.start()
    url = f"{server.url}/api/timer/{ev.id}"
    try:
        answers = []
        for t, now in ((50.0, 1000.0), (63.5, 1013.55)):
            clock.t = now
            thread, out = post_in_thread(url, token, {"type": "crossing", "t": t, "sensor": "finish"})
            qtbot.waitUntil(lambda out=out: "r" in out, timeout=5000)  # the GUI thread answers while the test waits
            thread.join()
            answers.append(out["r"])
        assert [r.status_code for r in answers] == [200, 200]
        assert answers[1].json()["lap"]["time_s"] == pytest.approx(13.5)
        assert page.session.timer.laps[0].time_s == pytest.approx(13.5)
        assert "lap 1: 13.500 s" in page.console.status.text()
        thread, out = post_in_thread(f"{server.url}/api/timer/{ev.id + 1}", token_for(
            page.db, scope_of("raceday", ev.id + 1)), {"type": "crossing"})
        qtbot.waitUntil(lambda: "r" in out, timeout=5000)
        assert out["r"].status_code == 409 and "no hand-timed session" in out["r"].text  # another event
        page.console.set_session(None)  # nobody on the line
        thread, out = post_in_thread(url, token, {"type": "crossing"})
        qtbot.waitUntil(lambda: "r" in out, timeout=5000)
        assert out["r"].status_code == 409 and len(page.session.timer.laps) == 1
    finally:
        server.stop()


def test_the_event_menu_connects_and_disconnects_a_sensor_and_the_console_shows_it(qtbot, page, clock, pty,
                                                                                monkeypatch, tmp_path):
    from PySide6.QtWidgets import QInputDialog

    from gui.timer_link import choose_serial_port

    master, name = pty
    load_car(page)
    offered = []

    def pick(parent, title, text, items, current, editable):
        offered.append(list(items))
        return pick.answer, True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    pick.answer = f"{name}  \u2013  USB lap sensor"
    menu = page.event_menu.menu()
    action = next(a for a in menu.actions() if a.text().startswith("Lap sensor"))
    action.trigger()
    qtbot.waitUntil(lambda: timer_link().serial is not None and timer_link().serial.connected, timeout=3000)
    clock.t = 1000.0
    send(qtbot, page, master, b"LAP 1000\n", state="running")
    clock.t = 1009.9
    send(qtbot, page, master, b"10876\n", laps=1)
    page.console.refresh()
    assert f"sensor {name} connected" in page.console.driver.text()
    assert "last crossing" in page.console.driver.text()
    page.console.grab().save(str(tmp_path / "console-sensor.png"))
    pick.answer = "Disconnect"
    assert choose_serial_port(page) is None and offered[-1][0] == "Disconnect"
    page.console.refresh()
    assert timer_link().serial is None and f"sensor {name}" not in page.console.driver.text()
