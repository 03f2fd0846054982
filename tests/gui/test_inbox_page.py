"""The Inbox page: real widgets over a real league file. Hand-ins (accepted and refused) show with
their hash and reason, new ones appear from the timer, and a watched folder hands its archives in."""

from __future__ import annotations

import os
import time

from gui.pages.inbox import InboxPage
from league.db import open_db
from league.handin import hand_in
from league.raceday.entries import queue
from league.raceday.events import create_event
from tests.league.handin_archives import good_archive, hostile_archives


def cells(page, row):
    return [page.rows.data(page.rows.index(row, c)) for c in range(page.rows.columnCount())]


def test_the_inbox_lists_hand_ins_and_a_watched_folder_adds_to_it(qtbot, ctx, tmp_path):
    db = open_db()
    ev = create_event(db, "Summit", "workshop_loop")
    archive = good_archive(tmp_path)
    page = InboxPage(ctx)
    qtbot.addWidget(page)
    page.timer.setInterval(100)
    assert page.rows.rowCount() == 0 and page.target_box.findData(f"raceday:{ev.id}") >= 0

    accepted = hand_in(db, archive, "ada", f"raceday:{ev.id}", source="test")
    refused = hand_in(db, hostile_archives(tmp_path)["traversal"][0], "mallory", f"raceday:{ev.id}", source="test")
    with qtbot.waitSignal(ctx.league_changed, timeout=3000):  # the other pages are told to reload
        qtbot.waitUntil(lambda: page.rows.rowCount() == 2, timeout=3000)
    newest, older = cells(page, 0), cells(page, 1)
    assert newest[1] == "mallory" and newest[5] == "refused" and refused["reason"] == newest[6] and ".." in newest[6]
    assert older[1:6] == ["ada", "ada", accepted["hash"][:12], "Summit", "accepted"]
    assert older[6:] == ["queued, place 1", "test"]

    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "alias.txt").write_text("Grace H.\n")
    copy = stick / "fast.tar.gz"
    copy.write_bytes(good_archive(tmp_path, "other").read_bytes())
    os.utime(copy, (time.time() - 60, time.time() - 60))
    page.target_box.setCurrentIndex(page.target_box.findData(f"raceday:{ev.id}"))
    page.start_watching(str(stick), f"raceday:{ev.id}", interval_s=0.1)
    try:
        qtbot.waitUntil(lambda: page.rows.rowCount() == 3, timeout=8000)
    finally:
        page.stop_watching()
    assert cells(page, 0)[1] == "Grace H." and cells(page, 0)[5] == "accepted"
    assert [e["racer"] for e in queue(db, ev)] == ["ada", "Grace H."]
    assert page.watch_thread is None and page.watch_button.text().startswith("Watch a folder")
