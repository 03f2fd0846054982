"""Lap-timer input over real HTTP on localhost: crossings become laps; tokens, sizes and sessions checked."""

import threading
import time

import httpx
import pytest

from gui.web.context import TOKEN_HEADER, WebContext
from gui.web.server import EventServer
from league.db import open_db
from league.timer_input import Crossing, NoTimedSession, SensorClock, apply_event
from league.timing import SessionTimer
from league.tokens import scope_of, token_for

EVENT = 4


class TimedEvent:
    """A sink as the app registers one: event ``EVENT``'s session timer, on a clock the test moves
    (``now``, s: the app's ``time.monotonic``)."""

    def __init__(self):
        self.timer, self.clock, self.lock = SessionTimer(min_lap_s=2.0), SensorClock(), threading.Lock()
        self.running, self.now = True, 1000.0

    def __call__(self, payload: dict) -> dict:
        if not self.running or payload["event"] != EVENT:
            raise NoTimedSession("no hand-timed session is running for this event")
        with self.lock:
            crossing = Crossing(payload["t_s"], payload["sensor"])
            return apply_event(self.timer, crossing, self.now, self.clock).as_dict()


@pytest.fixture
def server():
    sink = TimedEvent()
    server = EventServer("127.0.0.1", 0, WebContext(timer_sink=sink), features=("gui.web.timer",)).start()
    server.sink = sink
    yield server
    server.stop()


@pytest.fixture
def token():
    return token_for(open_db(), scope_of("raceday", EVENT))


def post(server, body, token=None, event=EVENT, **kw):
    headers = {TOKEN_HEADER: token} if token else {}
    return httpx.post(f"{server.url}/api/timer/{event}", json=body, headers=headers, timeout=5, **kw)


def test_timer_events_become_laps_in_the_session(server, token):
    # DREM's Raspberry Pi timer: ms since the epoch; the laps are the differences of its timestamps.
    base = 1764588000000
    answers = []
    for ms, delay in ((0, 0.03), (12345, 0.2), (24000, 0.09)):  # each arrives 30-200 ms after the crossing
        server.sink.now = 1000.0 + ms / 1000 + delay
        answers.append(post(server, {"event": "lap", "timestamp": base + ms, "gpio": 17}, token))
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.json()["action"] for r in answers] == ["start", "lap", "lap"]
    assert answers[1].json()["lap"]["number"] == 1
    assert [round(lap.time_s, 3) for lap in server.sink.timer.laps] == [12.345, 11.655]
    greeting = post(server, {"event": "connected", "timestamp": base}, token)
    assert greeting.status_code == 200 and greeting.json()["action"] == "ignored"


def test_a_double_trigger_is_refused_with_its_reason_and_records_nothing(server, token):
    for t in (10.0, 20.0, 20.3):
        server.sink.now = 1000.0 + t
        answer = post(server, {"type": "crossing", "t": t}, token)
    bounce = answer
    assert bounce.status_code == 409 and "double trigger" in bounce.text and len(server.sink.timer.laps) == 1


def test_a_wrong_or_missing_token_is_refused_and_nothing_reaches_the_session(server, token):
    for given in (None, "guess", token_for(open_db(), scope_of("raceday", EVENT + 1))):
        r = post(server, {"type": "crossing"}, given)
        assert r.status_code == 403 and "token" in r.text and r.text.count("\n") == 1
    r = httpx.post(f"{server.url}/api/timer/{EVENT}?token=guess", json={"type": "crossing"}, timeout=5)
    assert r.status_code == 403
    assert server.sink.timer.state == "ready"


def test_no_session_is_a_409_in_one_line(server, token):
    server.sink.running = False
    r = post(server, {"type": "crossing"}, token)
    assert r.status_code == 409 and r.text == "no hand-timed session is running for this event\n"


def test_without_an_app_there_is_no_session(token):
    server = EventServer("127.0.0.1", 0, WebContext(), features=("gui.web.timer",)).start()
    try:
        r = post(server, {"type": "crossing"}, token)
        assert r.status_code == 409 and "no hand-timed session" in r.text
    finally:
        server.stop()


def test_garbage_and_oversized_bodies_are_refused_before_the_session(server, token):
    headers = {TOKEN_HEADER: token, "content-type": "application/json"}
    url = f"{server.url}/api/timer/{EVENT}"
    assert httpx.post(url, content=b"\xff{not json", headers=headers).status_code == 400
    bad = post(server, {"type": "crossing", "t": "soon"}, token)
    assert bad.status_code == 400 and "t (sensor seconds)" in bad.text
    big = httpx.post(url, content=b"{" + b" " * 100_000 + b"}", headers=headers)
    assert big.status_code == 413
    assert httpx.post(f"{server.url}/api/timer/not-a-number", json={}, headers=headers).status_code == 404
    assert httpx.get(url).status_code == 405
    assert server.sink.timer.state == "ready"


def wait_until_opened(slave: int, timeout_s: float = 5.0) -> None:
    """Wait until a reader has opened the pty's slave: pyserial turns echo off, then empties the input
    (what a board wrote before that is lost, as on a real port)."""
    import termios

    deadline = time.monotonic() + timeout_s
    while termios.tcgetattr(slave)[3] & termios.ECHO and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)


def test_trackside_timer_send_posts_one_crossing_and_says_what_happened(server, token):
    from click.testing import CliRunner

    from gui.cli import main

    server.sink.now = 1000.0
    ok = CliRunner().invoke(main, ["timer", "send", server.url, "--event", str(EVENT), "--token", token, "--t", "3"])
    assert ok.exit_code == 0 and "clock started" in ok.output
    refused = CliRunner().invoke(main, ["timer", "send", server.url, "--event", str(EVENT), "--token", "guess"])
    assert refused.exit_code != 0 and "refused (403)" in refused.output and server.sink.timer.laps == []


def test_trackside_timer_serial_reads_a_board_on_a_pty(tmp_path):
    import os

    from click.testing import CliRunner

    from gui.cli import main

    master, slave = os.openpty()
    name = os.ttyname(slave)

    def board():  # a sensor board: a banner, then its millis() at each crossing, in real time
        wait_until_opened(slave)
        os.write(master, b"# lap sensor v2\r\nLAP 1000\r\n")
        time.sleep(1.1)
        os.write(master, b"2100\r\nnoise!\r\n")
        time.sleep(0.1)
        os.write(master, b"2300\r\n")

    writer = threading.Thread(target=board)
    writer.start()
    try:
        out = CliRunner().invoke(main, ["timer", "serial", name, "--count", "3"])
    finally:
        writer.join()
        os.close(master)
        os.close(slave)
    lines = out.output.splitlines()
    assert out.exit_code == 0, out.output
    assert "clock started" in lines[1] and "lap 1: " in lines[2], lines
    assert float(lines[2].split("lap 1: ")[1].split(" s")[0]) == pytest.approx(1.1, abs=0.05)  # the board's times
    assert "refused line" in out.output and "double trigger" in lines[-1]


def test_trackside_timer_serial_relays_a_board_to_the_server(server, token):
    import os

    from click.testing import CliRunner

    from gui.cli import main

    master, slave = os.openpty()

    def board():  # the app's clock moves with the board's: each crossing arrives 20 ms after it happened
        wait_until_opened(slave)
        for ms in (4000, 16500):
            time.sleep(0.2)
            server.sink.now = 1000.0 + ms / 1000 + 0.02
            os.write(master, f"{ms}\n".encode())

    writer = threading.Thread(target=board)
    writer.start()
    try:
        out = CliRunner().invoke(main, ["timer", "serial", os.ttyname(slave), "--send", server.url,
                                        "--event", str(EVENT), "--token", token, "--count", "2"])
    finally:
        writer.join()
        os.close(master)
        os.close(slave)
    assert out.exit_code == 0, out.output
    assert "lap 1: 12.500 s" in out.output and server.sink.timer.laps[0].time_s == pytest.approx(12.5)
