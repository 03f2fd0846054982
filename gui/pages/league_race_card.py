"""The League page's race card: the chosen race's name, status, rules and track, with its buttons.

The track preview draws the race's objects where a lap starts: boxes (orange) and bot cars (grey),
as every track view draws them (:meth:`gui.track_view.TrackView.set_objects`). Boxes placed at
random every lap, and bots at random places, are not drawn: any one draw would mislead.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout

from gui.pages.league_tables import rules_html
from gui.track_view import TrackView
from gui.widgets.style import ERROR, OK, button, label

STATUS_STYLE = {"open": ("#e6f4ea", OK), "upcoming": ("#e3f0fc", "#1565c0"), "ended": ("#eceff1", "#5f6b7a"),
                "closed": ("#fdecea", ERROR)}


def start_objects(objects, track) -> np.ndarray:
    """Object rows ``(m, 6)`` (:mod:`sim.object_rows`) of ``objects`` (a race's ``sim.objects.ObjectsConfig``;
    None for a time trial: no rows) on ``track`` at a lap's start; none of a kind placed at random."""
    from sim.object_rows import object_rows
    from sim.objects import ObjectWorld

    if objects is None:
        return np.zeros((0, 6))
    world = ObjectWorld(track, objects, 1)
    world.reset(np.array([0]), np.array([False]), np.random.default_rng(0))
    rows = object_rows(world.state, 0)
    random_boxes = objects.randomize_obstacle_locations and not objects.object_positions
    keep = np.where(rows[:, 5] >= 0.5, not objects.randomize_bot_car_locations, not random_boxes)
    return rows[keep]


def closed_in_past(iso: str | None) -> bool:
    """True when the ISO UTC time ``iso`` is in the past."""
    return bool(iso) and datetime.fromisoformat(iso) <= datetime.now(timezone.utc)


class RaceCard(QFrame):
    """Name and status on top with Show on projector / Open / Close; the rules beside the track below."""

    def __init__(self, parent=None):
        super().__init__(parent, objectName="card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        top = QHBoxLayout()
        self.title = label("", "heading")
        self.status = label("")
        top.addWidget(self.title)
        top.addWidget(self.status)
        top.addStretch(1)
        self.open_button = button("Open race")
        self.close_button = button("Close race", "danger")
        self.project_button = button("Show on projector")
        for b in (self.project_button, self.open_button, self.close_button):
            top.addWidget(b)
        layout.addLayout(top)
        rules = QHBoxLayout()
        self.preview = TrackView(show_racing_line=False)
        self.preview.setFixedSize(250, 170)
        self.preview.setMouseEnabled(x=False, y=False)
        self.rules = label("", "fact", wrap=True)
        self.rules.setTextFormat(Qt.TextFormat.RichText)
        self.rules.setAlignment(Qt.AlignmentFlag.AlignTop)
        rules.addWidget(self.preview)
        rules.addWidget(self.rules, 1)
        layout.addLayout(rules)
        self.shown_track: str | None = None

    def show_race(self, race, season) -> None:
        """Show ``race`` (a ``league.races.Race``; None: no race yet) with its ``season`` (or None)."""
        if race is None:
            self.preview.set_objects([])
            self.title.setText("No race yet")
            self.status.setText("")
            self.rules.setText("Create a race with <b>New race\u2026</b>: pick a competition track and the rules.")
            return
        status = race.status()
        bg, fg = STATUS_STYLE[status]
        self.title.setText(race.name)
        self.status.setText(f"\u25cf {status}")
        self.status.setStyleSheet(f"background: {bg}; color: {fg}; border-radius: 9px; padding: 2px 10px; "
                                  "font-weight: 600;")
        self.open_button.setVisible(status in ("closed", "ended"))
        self.open_button.setText("Reopen\u2026" if closed_in_past(race.closes_at) else "Open race")
        self.close_button.setVisible(race.state == "open")
        self.rules.setText(rules_html(race, season))
        from sim.library import load_track

        track = load_track(race.track)
        if race.track != self.shown_track:
            self.preview.set_track(track)
            self.shown_track = race.track
        self.preview.set_objects(start_objects(race.rules.objects, track))
