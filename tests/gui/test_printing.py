"""The race-day page's Print menu writes the chosen event's PDFs (the same as `trackside export podium ...`)
on a worker thread and says where; refusals show on the page."""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtWidgets import QFileDialog

from gui.pages.raceday import RaceDayPage
from league import raceday as rd
from league.sample import EVENT


@pytest.fixture
def page(qtbot, ctx):
    p = RaceDayPage(ctx)
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def choose_file(monkeypatch, path):
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, start, kind: (asked.append(start), (str(path), kind))[1]))
    return asked


def menu_action(page, words):
    return next(a for a in page.print_button.menu().actions() if words in a.text())


def test_print_podium_from_the_menu_writes_the_pdf_and_says_where(page, qtbot, monkeypatch, tmp_path):
    ev = rd.get_event(page.db, EVENT)
    t = ev.new_timer()
    t.start(0.0)
    t.capture_lap(11.5)
    t.end(12.0)
    rd.record_session(page.db, ev, t, racer="zoe", display_name="Zoë Šimić")
    page.refresh()
    out = tmp_path / "podium.pdf"
    asked = choose_file(monkeypatch, out)
    menu_action(page, "Podium").trigger()
    qtbot.waitUntil(lambda: "Printed" in page.notice.text(), timeout=20000)
    assert str(out) in page.notice.text() and asked[0].endswith("-podium.pdf")
    words = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Zoë Šimić" in words and "11.500" in words


def test_a_refused_printout_says_why_on_the_page(page, qtbot, monkeypatch, tmp_path):
    rd.create_event(page.db, "Empty", "workshop_loop")
    page.refresh()
    page.select_event("Empty")
    choose_file(monkeypatch, tmp_path / "x.pdf")
    menu_action(page, "Certificates").trigger()
    qtbot.waitUntil(lambda: "no results yet" in page.notice.text(), timeout=20000)
    assert not (tmp_path / "x.pdf").exists()
