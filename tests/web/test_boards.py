"""Live boards over real HTTP on localhost: pages, JSON, server-sent events, overlays, escaping."""

import json
import threading
import time

import httpx
import pytest

from gui.web.server import EventServer
from league import raceday as rd
from league.db import open_db
from league.live import LiveStateWriter, raceday_snapshot, read_live_state


@pytest.fixture
def server():
    s = EventServer("127.0.0.1", 0).start()
    yield s
    s.stop()


def record_session(db, ev, racer, laps_at):
    """A hand-timed session with laps finishing at ``laps_at`` (session seconds), submitted."""
    timer = ev.new_timer()
    timer.start(0.0)
    for t in laps_at:
        timer.capture_lap(t)
    timer.end(laps_at[-1] + 1)
    rd.submit_session(db, rd.start_session(db, ev, racer, model="standard"), timer)


class Listener:
    """An SSE client on a thread: every ``data:`` message with the time it arrived."""

    def __init__(self, url):
        self.got: list[tuple[float, dict]] = []
        self.thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self.thread.start()
        self.wait_for(lambda m: True)  # the first snapshot: subscribed

    def _run(self, url):
        with httpx.stream("GET", url, timeout=10) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    self.got.append((time.monotonic(), json.loads(line[6:])))

    def wait_for(self, test, timeout_s=5.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for at, message in self.got:
                if test(message):
                    return at, message
            time.sleep(0.01)
        raise AssertionError(f"no message matched in {timeout_s} s; got {[m for _, m in self.got]}")


def test_a_recorded_session_reaches_a_subscribed_client_within_a_second(server):
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop")
    listener = Listener(f"{server.url}/events/raceday:{ev.id}")
    assert listener.got[0][1]["rows"] == []
    recorded = time.monotonic()
    record_session(db, ev, "ada", [12.5, 24.0])
    at, message = listener.wait_for(lambda m: m.get("rows"))
    assert message["rows"][0]["racer"] == "ada" and message["rows"][0]["time_s"] == 11.5
    assert at - recorded < 1.0


def test_the_session_on_track_reaches_the_board_through_its_live_state_file(server):
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop")
    listener = Listener(f"{server.url}/events/raceday:{ev.id}")
    timer = ev.new_timer()
    timer.start(0.0)
    timer.capture_lap(13.25)
    clock = [100.0]
    writer = LiveStateWriter(clock=lambda: clock[0])
    assert writer.write(ev.id, {**timer.snapshot(20.0), "racer": "bo", "name": "Bo B."})
    _, message = listener.wait_for(lambda m: m.get("current"))
    cur = message["current"]
    assert (cur["name"], cur["laps"], cur["best_lap_s"], cur["last_lap"]["time_s"]) == ("Bo B.", 1, 13.25, 13.25)
    assert cur["time_left_s"] == pytest.approx(220.0)
    clock[0] += 0.05
    assert not writer.write(ev.id, {**timer.snapshot(20.05), "racer": "bo", "name": "Bo B."})  # too soon
    clock[0] += 0.1
    assert writer.write(ev.id, {**timer.snapshot(20.15), "racer": "bo", "name": "Bo B."})
    writer.write(ev.id, None)  # nobody on track any more
    listener.wait_for(lambda m: m.get("current") is None and m is not listener.got[0][1])
    assert read_live_state(ev.id)["written"] and read_live_state(ev.id, now=time.time() + 60) is None


def test_every_racer_text_is_escaped_in_pages_and_overlays(server):
    db = open_db()
    ev = rd.create_event(db, "<b>night</b>", "workshop_loop")
    record_session(db, ev, "<script>alert(1)</script>", [12.0])
    for path in (f"/raceday/{ev.id}", f"/raceday/{ev.id}?tv=1", f"/overlay/board?event={ev.id}", "/"):
        page = httpx.get(server.url + path).text
        assert "<script>alert" not in page and "<b>night" not in page, path
    page = httpx.get(f"{server.url}/raceday/{ev.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;night&lt;/b&gt;" in page
    assert httpx.get(f"{server.url}/api/raceday/{ev.id}").json()["rows"][0]["name"] == "<script>alert(1)</script>"


def test_overlays_take_their_background_and_rows_from_the_url_and_refuse_the_rest(server):
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop")
    for i in range(7):
        record_session(db, ev, f"racer{i}", [10.0 + i])
    board = httpx.get(f"{server.url}/overlay/board?event={ev.id}&rows=3&bg=green")
    assert board.status_code == 200 and board.text.count("<tr>") == 3 and "background:#00ff00" in board.text
    third = httpx.get(f"{server.url}/overlay/lower-third?event={ev.id}&bg=%2312ab34")
    assert third.status_code == 200 and "background:#12ab34" in third.text and 'id="cur-left"' in third.text
    assert "background:transparent" in httpx.get(f"{server.url}/overlay/lower-third?event={ev.id}").text
    for bad in ("bg=red", "bg=%23ff00ff;x", "rows=0", "rows=99", "rows=abc", "event=abc", "event="):
        r = httpx.get(f"{server.url}/overlay/board?{'' if 'event' in bad else f'event={ev.id}&'}{bad}")
        assert r.status_code == 400 and r.text.count("\n") == 1, bad
    assert httpx.get(f"{server.url}/overlay/board?event=999").status_code == 404


def test_pages_and_json_for_races_seasons_and_the_index(server):
    from league.races import create_race
    from league.seasons import create_season

    db = open_db()
    season = create_season(db, "autumn")
    create_race(db, "cup-1", "workshop_loop_cup", season="autumn")
    index = httpx.get(f"{server.url}/api/index").json()
    race_id = index["races"][0]["id"]
    assert [r["name"] for r in index["races"]] == ["cup-1"] and index["seasons"][0]["name"] == "autumn"
    assert httpx.get(f"{server.url}/race/{race_id}").status_code == 200
    assert httpx.get(f"{server.url}/api/season/{season.id}").json()["kind"] == "season"
    assert httpx.get(f"{server.url}/season/{season.id}?tv=1").text.count('class="board-page tv"') == 1
    assert httpx.get(f"{server.url}/raceday/42").status_code == 404
    assert httpx.get(f"{server.url}/events/nonsense").status_code == 404
    assert httpx.get(f"{server.url}/static/board.js").status_code == 200


def test_the_snapshot_names_the_format_and_the_racer_on_track():
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop", ranking="best_average", average_of=2)
    timer = ev.new_timer()
    timer.start(0.0)
    snap = raceday_snapshot(db, ev, live={**timer.snapshot(5.0), "racer": "cy", "name": "Cy"})
    assert "average of 2" in snap["format"] and snap["current"]["running_lap_s"] == 5.0
    assert snap["current"]["last_lap"] is None and snap["rows"] == []


def test_the_system_check_asks_for_chromium_for_the_tests_only(monkeypatch):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).parents[2] / "gui" / "system_check.py"
    spec = importlib.util.spec_from_file_location("system_check_web", script)
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    monkeypatch.setenv("TRACKSIDE_CHROMIUM", "/nonexistent/chromium")
    wanted, absent = check.missing_packages("offscreen", set(), which=lambda program: "/usr/bin/" + program)
    assert ("chromium",) in wanted and "chromium" in absent
    assert ("chromium",) not in check.missing_packages("gui", set(), which=lambda program: None)[0]
    monkeypatch.delenv("TRACKSIDE_CHROMIUM")
    assert check.browser_found() == Path("/usr/bin/chromium").exists()


def test_serve_lists_each_event_and_race_token():
    from gui.cli.serve import token_lines
    from league.races import create_race
    from league.tokens import check_token, scope_of

    db = open_db()
    assert token_lines() == ["No events or races yet: no tokens to show."]
    ev = rd.create_event(db, "friday", "workshop_loop")
    create_race(db, "cup-1", "workshop_loop_cup")
    lines = token_lines()
    token = lines[1].split()[0]
    assert "raceday:1" in lines[1] and "friday" in lines[1] and "cup-1" in lines[2]
    assert check_token(db, scope_of("raceday", ev.id), token)


def test_a_closed_page_unsubscribes(server):
    db = open_db()
    ev = rd.create_event(db, "friday", "workshop_loop")
    topic = f"raceday:{ev.id}"
    with httpx.stream("GET", f"{server.url}/events/{topic}", timeout=5) as r:
        lines = r.iter_lines()  # held: a dropped line iterator closes the connection when it is collected
        next(line for line in lines if line.startswith("data: "))
        time.sleep(0.5)  # time enough for the server to notice a closed connection, were it closed
        assert server.ctx.bus.subscribers(topic) == 1
    deadline = time.monotonic() + 5
    while server.ctx.bus.subscribers(topic) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.ctx.bus.subscribers(topic) == 0


@pytest.mark.slow
def test_a_league_submission_reaches_the_race_board_within_a_second(server):
    from league.races import add_racer, create_race, submit
    from league.seasons import create_season

    db = open_db()
    season = create_season(db, "autumn")
    race = create_race(db, "cup-1", "workshop_loop_cup", laps=1, season="autumn")
    add_racer(db, "ada", "<i>Ada</i>")
    listener = Listener(f"{server.url}/events/race:{race.id}")
    result = submit(db, race, "ada", "standard")  # frozen, evaluated, recorded
    recorded = time.monotonic()
    at, message = listener.wait_for(lambda m: m.get("rows"))
    assert message["rows"][0]["name"] == "<i>Ada</i>" and message["rows"][0]["time_s"] == result["time_s"]
    assert at - recorded < 1.0
    assert "&lt;i&gt;Ada&lt;/i&gt;" in httpx.get(f"{server.url}/race/{race.id}").text
    season_page = httpx.get(f"{server.url}/season/{season.id}").text
    assert "&lt;i&gt;Ada&lt;/i&gt;" in season_page and f"{message['rows'][0]['points']} pts" in season_page


@pytest.mark.slow
def test_a_simulated_session_run_from_the_command_line_shows_on_the_board_as_it_runs(server):
    from click.testing import CliRunner

    from gui.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["raceday", "event", "create", "night", "--track", "workshop_loop",
                                "--length", "1:00"]).exit_code == 0
    ev = rd.get_event(open_db(), "night")
    listener = Listener(f"{server.url}/events/raceday:{ev.id}")
    out = runner.invoke(main, ["raceday", "run", "night", "--racer", "ann", "--speed", "20", "--seed", "3"])
    assert out.exit_code == 0, out.output
    on_track = [m["current"] for _, m in listener.got if m.get("current")]
    assert on_track and on_track[0]["racer"] == "ann" and on_track[-1]["laps"] >= 1
    _, last = listener.wait_for(lambda m: m.get("rows") and m.get("current") is None)
    assert last["rows"][0]["racer"] == "ann" and read_live_state(ev.id).get("racer") is None
