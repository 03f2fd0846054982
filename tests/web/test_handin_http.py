"""The hand-in page over real HTTP on localhost: a good archive gets a receipt with its hash, hostile
ones, bad tokens, unknown events, oversized bodies and too many posts are refused in one line."""

import httpx
import pytest

from gui.web.context import WebContext
from gui.web.server import EventServer
from league.db import open_db
from league.handin import inbox
from league.raceday.entries import queue
from league.raceday.events import create_event
from league.tokens import scope_of, token_for
from tests.league.handin_archives import good_archive, hostile_archives
from trainer.model_store import ModelStore


@pytest.fixture
def event():
    db = open_db()
    ev = create_event(db, "Summit <b>", "workshop_loop")
    return ev, token_for(db, scope_of("raceday", ev.id))


@pytest.fixture
def server():
    s = EventServer("127.0.0.1", 0, WebContext(max_upload_bytes=4 * 2**20), features=("gui.web.handin",)).start()
    yield s
    s.stop()


def post(server, event_id, path, alias, token, **kw):
    with open(path, "rb") as fh:
        return httpx.post(f"{server.url}/handin/{event_id}", data={"alias": alias, "token": token},
                          files={"file": ("../../etc/" + path.name, fh, "application/gzip")}, timeout=30, **kw)


def test_the_form_escapes_the_event_name_and_prefills_the_token(server, event):
    ev, token = event
    page = httpx.get(f"{server.url}/handin/{ev.id}", params={"token": token + "'><x"})
    assert page.status_code == 200 and "Summit &lt;b&gt;" in page.text and "<b>" not in page.text
    assert f"value='{token}&#x27;&gt;&lt;x'" in page.text and "enctype='multipart/form-data'" in page.text
    assert httpx.get(f"{server.url}/handin/nowhere").status_code == 404


def test_a_good_archive_gets_a_receipt_with_its_hash_and_joins_the_queue(server, event, tmp_path):
    ev, token = event
    r = post(server, ev.id, good_archive(tmp_path), "<script>alert(1)</script>", token)
    assert r.status_code == 200, r.text
    [row] = inbox(open_db())
    assert row["status"] == "accepted" and row["hash"] in r.text and len(row["hash"]) == 64
    assert "&lt;script&gt;" in r.text and "<script>" not in r.text
    assert row["archive_name"] == "mine.tar.gz" and row["source"] == "upload from 127.0.0.1"
    assert [e["model"] for e in queue(open_db(), ev)] == ["script-alert-1-script"]
    again = post(server, ev.id, good_archive(tmp_path), "grace", token, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.json()["queue_position"] == 2 and again.json()["hash"] == row["hash"]


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink", "device", "huge", "garbage"])
def test_a_hostile_archive_is_refused_in_one_line_and_leaves_nothing(server, event, tmp_path, kind):
    ev, token = event
    path, word = hostile_archives(tmp_path)[kind]
    before = set(ModelStore().names())
    r = post(server, ev.id, path, "mallory", token)
    assert r.status_code == 422 and r.text.startswith("refused: ") and word in r.text, r.text
    assert r.text.count("\n") == 1 and set(ModelStore().names()) == before and queue(open_db(), ev) == []


def test_a_wrong_or_missing_token_and_an_unknown_event_are_refused(server, event, tmp_path):
    ev, token = event
    archive = good_archive(tmp_path)
    for given in ("guess", ""):
        r = post(server, ev.id, archive, "ada", given)
        assert r.status_code == 403 and "token" in r.text and r.text.count("\n") == 1
    other = create_event(open_db(), "Other", "workshop_loop")  # another event's token does not open this one
    assert post(server, other.id, archive, "ada", token).status_code == 403
    assert post(server, 999, archive, "ada", token).status_code == 404
    assert inbox(open_db()) == [] and ModelStore().names() == ["standard", "mine"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(server, event, tmp_path):
    ev, token = event
    big = tmp_path / "big.tar.gz"
    big.write_bytes(b"\0" * (5 * 2**20))
    r = post(server, ev.id, big, "ada", token)  # Content-Length over the 4 MB limit: refused at once
    assert r.status_code == 413 and "limit" in r.text
    sent = 0

    def chunks():  # no Content-Length: counted as it arrives
        nonlocal sent
        head = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.tar.gz\"\r\n"
                b"Content-Type: application/gzip\r\n\r\n")
        yield head
        for _ in range(256):
            sent += 2**20
            yield b"\0" * 2**20

    try:
        r = httpx.post(f"{server.url}/handin/{ev.id}", content=chunks(), timeout=30,
                       headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
    except httpx.TransportError:
        pass  # the server answered 413 and closed the connection while the client was still sending
    assert sent < 256 * 2**20  # the server stopped reading long before the end


def test_each_address_may_post_six_times_a_minute(server, event, tmp_path):
    ev, _token = event
    archive = hostile_archives(tmp_path)["garbage"][0]
    codes = [post(server, ev.id, archive, "ada", "guess").status_code for _ in range(7)]
    assert codes == [403] * 6 + [429]


@pytest.mark.slow
def test_a_league_race_takes_hand_ins_with_its_own_token(server, tmp_path):
    from league.race_setup import create_race
    from league.racers import add_racer

    db = open_db()
    add_racer(db, "ada")
    race = create_race(db, "cup-1", "workshop_loop_cup", laps=1)
    token = token_for(db, scope_of("race", race.id))
    assert "cup-1" in httpx.get(f"{server.url}/handin/race/{race.name}").text
    archive = good_archive(tmp_path)
    with open(archive, "rb") as fh:
        r = httpx.post(f"{server.url}/handin/race/{race.id}", data={"alias": "ada", "token": token},
                       files={"file": ("mine.tar.gz", fh)}, headers={"Accept": "application/json"}, timeout=60)
    assert r.status_code == 200 and r.json()["submission"]["submission"] >= 1 and len(r.json()["hash"]) == 64
    with open(archive, "rb") as fh:
        wrong = httpx.post(f"{server.url}/handin/race/{race.id}", data={"alias": "ada", "token": "x" * 16},
                           files={"file": ("mine.tar.gz", fh)}, timeout=60)
    assert wrong.status_code == 403
