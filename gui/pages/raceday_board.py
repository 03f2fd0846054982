"""The Race day page's leaderboard card: the event's board, with a track selector on a multi-track event.

A one-track event shows its board as before. An event on several tracks offers "Combined" (the
sum of each racer's best per track, ``league.raceday.combined_leaderboard``; a "Tracks" column,
in place of "Laps", says how many each racer has) and each of its tracks (``event_leaderboard(..., track=T)``).
Under ``most_laps`` the Time column shows the laps (the result) and the Gap how many fewer than
the leader's. The card only shows: its page reads nothing else from it than :meth:`track`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QVBoxLayout

from gui.pages.league_tables import CENTER, RIGHT, Column, RowsModel, gap_text, seconds, table_view, track_name
from gui.widgets.style import label

COMBINED = ""
"""The selector's value for the combined board."""


def time_text(row: dict) -> str:
    """The result: its time, or ``12 laps`` under ``most_laps``; the status without one."""
    if row["time_s"] is None:
        return row["status"]
    laps = row.get("result_laps")
    return seconds(row["time_s"]) if laps is None else f"{laps} lap{'s' if laps != 1 else ''}"


def gap_or_laps(row: dict) -> str:
    """``-2 laps`` behind a leader with more laps (``most_laps``), else the time gap."""
    if row.get("gap_laps"):
        return f"\u2212{row['gap_laps']} lap{'s' if row['gap_laps'] != 1 else ''}"
    return gap_text(row)


BOARD = (
    Column("Rank", lambda r: str(r["rank"]), CENTER, True),
    Column("Racer", lambda r: r["display_name"], None, True),
    Column("Time", time_text, RIGHT, True),
    Column("Gap", gap_or_laps, RIGHT),
    Column("Laps", lambda r: f"{r['valid_laps']}/{r['laps']}", RIGHT),
    Column("Tracks", lambda r: f"{r.get('tracks_done', 0)}/{len(r.get('by_track', {}))}", RIGHT),
)
"""A race-day board (``league.raceday.event_leaderboard`` rows); a combined board shows Tracks
in place of Laps (the card is narrow)."""
LAPS_COLUMN, TRACKS_COLUMN = 4, 5


class BoardCard(QFrame):
    """The heading (with ``buttons`` at its right), the track selector and the board."""

    track_changed = Signal()

    def __init__(self, buttons=(), parent=None):
        super().__init__(parent)
        self.setObjectName("card")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 14)  # as league_tables.card
        lay.setSpacing(8)
        head = QHBoxLayout()
        head.addWidget(label("Leaderboard", "heading"), 1)
        for b in buttons:
            head.addWidget(b)
        self.track_box = QComboBox()
        self.track_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys belong to the console
        self.track_box.setToolTip("Combined: the sum of each racer's best per track; racers with every track first")
        self.track_box.currentIndexChanged.connect(lambda _: self.track_changed.emit())
        self.track_box.hide()
        self.model = RowsModel(BOARD, parent=self)
        self.view = table_view(self.model)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay.addLayout(head)
        lay.addWidget(self.track_box)
        lay.addWidget(self.view, 1)

    def offer_tracks(self, tracks: tuple[str, ...]) -> None:
        """The event's tracks: a selector of Combined and each one when there are several (kept if unchanged)."""
        wanted = [(COMBINED, "Combined: all tracks")] + [(t, track_name(t)) for t in tracks] if len(tracks) > 1 else []
        have = [(self.track_box.itemData(i), self.track_box.itemText(i)) for i in range(self.track_box.count())]
        if wanted != have:
            keep = self.track()
            self.track_box.blockSignals(True)
            self.track_box.clear()
            for value, text in wanted:
                self.track_box.addItem(text, value)
            self.track_box.setCurrentIndex(max(0, self.track_box.findData(keep or COMBINED)))
            self.track_box.blockSignals(False)
        self.track_box.setVisible(bool(wanted))

    def track(self) -> str | None:
        """The chosen track, or None for the combined (or only) board."""
        return self.track_box.currentData() or None

    def choose_track(self, track: str | None) -> bool:
        i = self.track_box.findData(track or COMBINED)
        if i >= 0:
            self.track_box.setCurrentIndex(i)
        return i >= 0

    def show_rows(self, rows: list[dict], highlight=None) -> None:
        self.model.set_rows(rows, highlight)
        combined = any("by_track" in r for r in rows)
        self.view.setColumnHidden(TRACKS_COLUMN, not combined)
        self.view.setColumnHidden(LAPS_COLUMN, combined)
