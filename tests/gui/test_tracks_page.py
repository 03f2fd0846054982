"""Tracks: bundled tracks drawn with their racing line and best lap; importing a .npy."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from gui.pages.tracks import TracksPage
from sim.library import list_tracks


@pytest.fixture
def page(qtbot, ctx):
    p = TracksPage(ctx)
    qtbot.addWidget(p)
    return p


def oval_npy(path, width=0.8):
    """A DeepRacer-format (N, 6) track: a 6 m x 3 m stadium oval, closed (first row repeated)."""
    t = np.linspace(0, 2 * np.pi, 121)
    cx, cy = 3.0 * np.cos(t), 1.5 * np.sin(t)
    tx, ty = -3.0 * np.sin(t), 1.5 * np.cos(t)
    n = np.hypot(tx, ty)
    nx, ny = -ty / n, tx / n  # left normal
    h = width / 2
    arr = np.stack([cx, cy, cx + h * nx, cy + h * ny, cx - h * nx, cy - h * ny], axis=1)
    arr[-1] = arr[0]
    np.save(path, arr)
    return path


def dialogs(monkeypatch, path, name):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (name, True)))
    errors = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: errors.append(text)))
    return errors


def test_lists_every_bundled_track_and_draws_the_selected_one(page):
    assert page.names() == [t.name for t in list_tracks()]
    uses = {page.names()[r]: page.table.item(r, 3).text() for r in range(page.table.rowCount())}
    assert uses["workshop_loop"] == "training" and uses["workshop_loop_cup"] == "races"
    page.table.selectRow(page.names().index("workshop_loop"))
    assert page.name.text() == "Workshop Loop"
    assert page.view.track.info.name == "workshop_loop"
    assert "17.7 m" in page.facts.text()
    assert page.best_lap.text().endswith("m line")


def test_best_lap_follows_the_top_speed(page):
    page.table.selectRow(page.names().index("practice_oval"))
    fast = float(page.best_lap.text().split()[0])
    page.max_speed.setValue(2.0)
    slow = float(page.best_lap.text().split()[0])
    assert slow > fast > 0


def test_import_a_deepracer_npy(qtbot, page, ctx, tmp_path, monkeypatch):
    errors = dialogs(monkeypatch, oval_npy(tmp_path / "My Oval.npy"), "my_oval")
    with qtbot.waitSignal(ctx.tracks_changed):
        page.import_button.click()
    assert not errors
    assert "my_oval" in page.names() and page.current() == "my_oval"
    row = page.names().index("my_oval")
    assert page.table.item(row, 4).text() == "imported" and page.table.item(row, 3).text() == "training"
    assert page.view.track.info.name == "my_oval"


def test_a_bad_file_or_name_is_refused_with_a_clear_message(page, tmp_path, monkeypatch):
    bad = tmp_path / "broken.npy"
    np.save(bad, np.zeros((10, 4)))
    errors = dialogs(monkeypatch, bad, "broken")
    page.import_button.click()
    assert len(errors) == 1 and "broken.npy" in errors[0]
    assert "broken" not in page.names()
    errors = dialogs(monkeypatch, oval_npy(tmp_path / "ok.npy"), "workshop_loop")
    page.import_button.click()
    assert errors and "bundled track" in errors[0]
