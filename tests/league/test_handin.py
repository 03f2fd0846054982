"""Model hand-in (``league.handin``): archives become frozen models in a race-day queue or a league
race, hostile ones are refused with a reason, the inbox records both, a watched folder hands in once."""

import os
import time

import pytest

from league.db import LeagueError, open_db
from league.freeze import open_frozen
from league.handin import already_handed_in, hand_in, inbox
from league.handin_watch import FolderWatch, alias_for
from league.raceday.entries import queue
from league.raceday.events import create_event
from tests.league.handin_archives import good_archive, hostile_archives
from trainer import reward_trust
from trainer.model_store import ModelStore


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def event(db):
    return create_event(db, "Summit", "workshop_loop")


def test_a_good_archive_is_imported_for_the_racer_frozen_hashed_and_queued(db, event, tmp_path):
    archive = good_archive(tmp_path)
    r = hand_in(db, archive, "Ada L.", f"raceday:{event.name}", source="test")
    assert r["status"] == "accepted" and r["reason"] is None
    assert r["model"] == "Ada-L" and r["target"] == f"raceday:{event.id}" and r["queue_position"] == 1
    frozen = open_frozen(r["hash"])  # the receipt's hash names an intact frozen copy
    assert frozen.metadata_path.read_bytes() == ModelStore().get("Ada-L").metadata_path.read_bytes()
    [entry] = queue(db, event)
    assert (entry["racer"], entry["model"], entry["driver"]) == ("Ada L.", "Ada-L", "model")
    # The archive's reward function is someone else's code: not accepted, so nothing runs it unasked.
    assert not reward_trust.is_trusted(ModelStore().get("Ada-L").path)
    assert inbox(db)[0]["id"] == r["id"] and already_handed_in(db, r["archive_sha256"])


def test_no_model_is_clobbered_and_a_refused_hand_in_leaves_no_model(db, event, tmp_path):
    store = ModelStore()
    store.clone("standard", "bob")
    archive = good_archive(tmp_path)
    first = hand_in(db, archive, "bob", f"raceday:{event.id}", source="test")
    assert first["status"] == "accepted" and first["model"] == "bob-2"
    again = hand_in(db, archive, "bob", f"raceday:{event.id}", source="test")  # bob is queued already
    assert again["status"] == "refused" and "already queued" in again["reason"]
    assert "bob-3" not in store.names() and {"bob", "bob-2"} <= set(store.names())
    assert [r["status"] for r in inbox(db)] == ["refused", "accepted"]


@pytest.mark.parametrize("kind", ["traversal", "absolute", "symlink", "device", "huge", "garbage"])
def test_hostile_archives_are_refused_with_a_one_line_reason(db, event, tmp_path, kind):
    path, word = hostile_archives(tmp_path)[kind]
    before = set(ModelStore().names())
    r = hand_in(db, path, "mallory", f"raceday:{event.id}", source="test")
    assert r["status"] == "refused" and word in r["reason"] and "\n" not in r["reason"], r["reason"]
    assert set(ModelStore().names()) == before and queue(db, event) == []
    assert not (tmp_path.parent / "evil.py").exists() and not (tmp_path / "evil.py").exists()
    assert inbox(db)[0]["reason"] == r["reason"]


def test_a_target_that_does_not_exist_is_an_error_not_an_inbox_row(db, tmp_path):
    archive = good_archive(tmp_path)
    for target in ("raceday:nowhere", "race:99", "garage:1", "raceday:"):
        with pytest.raises(LeagueError):
            hand_in(db, archive, "ada", target, source="test")
    assert inbox(db) == []


def test_a_watched_folder_hands_in_each_settled_archive_once(db, event, tmp_path):
    stick = tmp_path / "models"
    stick.mkdir()
    archive = good_archive(tmp_path)
    os.link(archive, stick / "ada.tar.gz")  # a hard link is a plain file
    (stick / "notes.txt").write_text("not an archive")
    os.symlink(archive, stick / "linked.tar.gz")  # a link on a stick could point anywhere: passed over
    watch = FolderWatch(stick, f"raceday:{event.id}", settle_s=60)
    assert watch.scan(db) == []  # first look: not settled yet
    [r] = watch.scan(db)  # unchanged since the last look
    assert r["status"] == "accepted" and r["alias"] == "ada" and r["source"] == f"folder {stick}"
    assert watch.scan(db) == [] and FolderWatch(stick, f"raceday:{event.id}", settle_s=0).scan(db) == []
    assert [e["racer"] for e in queue(db, event)] == ["ada"]


def test_the_folder_alias_comes_from_alias_txt_when_there_is_one(tmp_path):
    assert alias_for(tmp_path, "fast-one.tar.gz") == "fast-one"
    (tmp_path / "alias.txt").write_text("  Grace H.\nignored\n")
    assert alias_for(tmp_path, "fast-one.tar.gz") == "Grace H."


def test_a_file_still_being_copied_waits_for_the_next_look(db, event, tmp_path):
    stick = tmp_path / "models"
    stick.mkdir()
    partial = stick / "ada.tar.gz"
    partial.write_bytes(good_archive(tmp_path).read_bytes()[:1000])
    watch = FolderWatch(stick, f"raceday:{event.id}", settle_s=60)
    assert watch.scan(db) == []
    partial.write_bytes(good_archive(tmp_path).read_bytes())  # the copy finished: size changed
    os.utime(partial, (time.time() + 1, time.time() + 1))
    assert watch.scan(db) == []
    [r] = watch.scan(db)
    assert r["status"] == "accepted"


@pytest.mark.slow
def test_a_hand_in_to_a_league_race_is_submitted_and_evaluated(db, tmp_path):
    from league.race_setup import create_race
    from league.racers import add_racer
    from league.races import standings

    add_racer(db, "ada")
    race = create_race(db, "cup-1", "workshop_loop_cup", laps=1)
    r = hand_in(db, good_archive(tmp_path), "ada", f"race:{race.name}", source="test")
    assert r["status"] == "accepted" and r["submission"]["submission"] >= 1
    [standing] = standings(db, race)
    assert standing["racer"] == "ada"
    stranger = hand_in(db, good_archive(tmp_path, "other"), "nobody", f"race:{race.id}", source="test")
    assert stranger["status"] == "refused" and "nobody" in stranger["reason"]


def test_the_command_line_hands_in_watches_and_lists_the_inbox(event, tmp_path):
    import json

    from tests.league.test_cli import ok, refused, run

    archive = good_archive(tmp_path)
    out = ok("handin", "submit", str(archive), "--alias", "ada", "--event", event.name).stdout
    assert "accepted  ada" in out and "queue position 1" in out
    again = run("handin", "submit", str(archive), "--alias", "ada", "--event", event.name)
    assert again.exit_code == 1 and "refused" in again.stdout and "already queued" in again.stdout
    refused("handin", "submit", str(archive), "--alias", "ada", "--event", "nowhere", match="no race-day event")
    rows = json.loads(ok("handin", "list", "--event", event.name, "--json").stdout)
    assert [r["status"] for r in rows] == ["refused", "accepted"] and len(rows[1]["hash"]) == 64
