"""What the League and Race day pages share: a read-only table over plain rows (lists of
dicts from ``league``), the columns each board shows, a racer's submission history, cards,
and the text of a race's rules.

A table never queries the database: its page reads the rows (``league.races.standings``,
``league.raceday.event_leaderboard`` ...) and hands them over with :meth:`RowsModel.set_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHeaderView, QTableView, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout)

from gui.rich_text import esc
from gui.widgets.style import label
from league.exports import format_time

RIGHT_FLAG = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
RIGHT = int(RIGHT_FLAG)
CENTER = int(Qt.AlignmentFlag.AlignCenter)
NEW_RESULT = QColor("#fff3d6")
"""Background of the row whose result just landed."""
INVALID = QColor("#c62828")
VALID = QColor("#2e7d32")


def gap_text(row: dict) -> str:
    """``leader`` for the leader, ``+1.234`` behind it, an en dash without a time."""
    gap = row.get("gap_s")
    if gap is None:
        return "\u2013"
    return "leader" if gap == 0 and row.get("rank") == 1 else f"+{gap:.3f}"


def seconds(value: float | None) -> str:
    return format_time(value)


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[dict], str]
    align: int | None = None
    bold: bool = False


LEADERBOARD = (
    Column("Rank", lambda r: str(r["rank"]), CENTER, True),
    Column("Racer", lambda r: r["display_name"], None, True),
    Column("Time", lambda r: seconds(r["time_s"]), RIGHT, True),
    Column("Gap", gap_text, RIGHT),
    Column("Submissions", lambda r: str(r["submissions"]), RIGHT),
    Column("Points", lambda r: str(r["points"]), RIGHT, True),
)
"""A virtual-circuit race (``league.races.standings`` rows)."""

SEASON = (
    Column("Rank", lambda r: str(r["rank"]), CENTER, True),
    Column("Racer", lambda r: r["display_name"], None, True),
    Column("Points", lambda r: str(r["points"]), RIGHT, True),
    Column("Races", lambda r: str(r["races"]) + (f" ({r['counted']} counted)" if r["counted"] != r["races"] else ""),
           RIGHT),
)
"""A season (``league.races.season_standings`` rows)."""

EVENT = (
    Column("Rank", lambda r: str(r["rank"]), CENTER, True),
    Column("Racer", lambda r: r["display_name"], None, True),
    Column("Time", lambda r: seconds(r["time_s"]) if r["time_s"] is not None else r["status"], RIGHT, True),
    Column("Gap", gap_text, RIGHT),
    Column("Laps", lambda r: f"{r['valid_laps']}/{r['laps']}", RIGHT),
)
"""A race-day event (``league.raceday.event_leaderboard`` rows)."""


class RowsModel(QAbstractTableModel):
    """Rows of dicts shown through :class:`Column` s; ``highlight`` marks one row by a key's value."""

    def __init__(self, columns: tuple[Column, ...], key: str = "racer", parent=None):
        super().__init__(parent)
        self.columns = columns
        self.key = key
        self.rows: list[dict] = []
        self.highlight: object = None

    def set_rows(self, rows: list[dict], highlight: object = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.highlight = highlight
        self.endResetModel()

    def row(self, i: int) -> dict | None:
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def row_of(self, value) -> int:
        return next((i for i, r in enumerate(self.rows) if r.get(self.key) == value), -1)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[section].align is not None:
                return self.columns[section].align
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return col.align
        if role == Qt.ItemDataRole.FontRole and col.bold:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and "racer" in row:
            return f"alias: {row['racer']}"
        if role == Qt.ItemDataRole.BackgroundRole and self.highlight is not None \
                and row.get(self.key) == self.highlight:
            return QBrush(NEW_RESULT)
        return None


def card(title: str | None = None) -> tuple[QFrame, QVBoxLayout]:
    """A white card (the app's ``#card`` style) with an optional heading; returns it and its layout."""
    box = QFrame(objectName="card")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(16, 12, 16, 14)
    layout.setSpacing(8)
    if title:
        layout.addWidget(label(title, "heading"))
    return box, layout


def table_view(model: RowsModel, stretch: int = 1) -> QTableView:
    """A read-only, row-selecting table in the app's style with column ``stretch`` filling the width."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(30)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setHighlightSections(False)
    return view


class SubmissionHistory(QTreeWidget):
    """A racer's submissions to a race, newest first, each with its laps as children."""

    HEADERS = ("Submitted", "Model", "Result", "Laps / time", "Off-track", "Collisions", "")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderLabels(self.HEADERS)
        self.setRootIsDecorated(True)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(True)
        self.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")

    def show_submissions(self, subs: list[dict], best_id: int | None) -> None:
        """``subs``: ``league.races.get_submission`` dicts; ``best_id``: the one that stands."""
        self.clear()
        bold = QFont()
        bold.setBold(True)
        for sub in sorted(subs, key=lambda s: s["id"], reverse=True):
            done = sum(1 for lap in sub["laps"] if lap["completed"])
            ckpt = sub["checkpoint"] + (f" (it. {sub['iteration']})" if sub["iteration"] is not None else "")
            result = seconds(sub["time_s"]) if sub["time_s"] is not None else "no valid result"
            item = QTreeWidgetItem([sub["submitted_at"].replace("T", " ")[:16], f"{sub['model']} \u00b7 {ckpt}",
                                    result, f"{done}/{len(sub['laps'])} laps", str(sub["off_track"]),
                                    str(sub["collisions"]), "\u2605 standing" if sub["id"] == best_id else ""])
            item.setData(0, Qt.ItemDataRole.UserRole, sub["id"])
            if sub["id"] == best_id:
                for c in range(len(self.HEADERS)):
                    item.setFont(c, bold)
            for lap in sub["laps"]:
                t = "\u2013" if lap["time_ms"] is None else seconds(lap["time_ms"] / 1000)
                state = "completed" if lap["completed"] else f"{lap['status']} at {lap['progress']:.0f}%"
                child = QTreeWidgetItem([f"  lap {lap['lap']}", "", "", t, str(lap["off_track"]),
                                         str(lap["collisions"]), state])
                child.setForeground(6, QBrush(VALID if lap["completed"] else INVALID))
                for c in (3, 4, 5):
                    child.setTextAlignment(c, RIGHT_FLAG)
                item.addChild(child)
            for c in (2, 3, 4, 5):
                item.setTextAlignment(c, RIGHT_FLAG)
            self.addTopLevelItem(item)
        if self.topLevelItemCount():
            self.topLevelItem(0).setExpanded(True)


# -- text -------------------------------------------------------------------------------------------
RANKING_TEXT = {"best_lap": "Best lap", "best_average": "Best average of consecutive laps",
                "total_time": "Total time of all laps"}


def track_name(name: str) -> str:
    """A track's display name (its file name when it has none)."""
    from sim.library import list_tracks

    return next((t.display_name for t in list_tracks() if t.name == name and t.display_name), name)


def rules_html(race, season) -> str:
    """A race's rules as a two-column table (``season``: the race's ``Season`` or None)."""
    rank = RANKING_TEXT[race.ranking] + (f" of {race.average_of}" if race.ranking == "best_average" else "")
    penalty = ("no resets (a lap ends off the road)" if race.penalty_s is None
               else f"{race.penalty_s:g} s per off-track, then put back")
    where = "no season"
    if season is not None:
        pts = "time ratio" if season.points == "time_ratio" else "rank table " + ",".join(map(str, season.rank_table))
        where = f"{esc(season.name)} (points: {esc(pts)})"
    rows = [("Track", f"{esc(track_name(race.track))} <span style='color:#5f6b7a'>(competition)</span>"),
            ("Race type", esc(race_type_text(race))),
            ("Laps", f"{race.laps}, {'trials' if race.mode == 'trials' else 'continuous'}"), ("Ranking", rank),
            ("Penalty", penalty), ("Opens", local_time(race.opens_at, "from creation")),
            ("Closes", local_time(race.closes_at, "when closed by hand")),
            ("Submissions", f"up to {race.max_submissions} per racer" if race.max_submissions else "no limit"),
            ("Season", where)]
    return "<table cellspacing=0 cellpadding=2>" + "".join(
        f"<tr><td style='color:#5f6b7a; padding-right:10px'>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</table>"


def race_type_text(race) -> str:
    """A race's race type in words (``trainer.race.describe``) with its collision penalty where it has objects."""
    from trainer.race import describe

    text = describe(race.race_type, race.race_settings)
    return text if race.race_type == "time_trial" else f"{text}; {race.collision_penalty_s:g} s per collision"


def race_type_title(race_type: str) -> str:
    """``Time trial``, ``Object avoidance`` or ``Head-to-bot``: the Create model page's words."""
    from gui.widgets.race_type_picker import RACE_TYPES

    return next((title for value, title, _ in RACE_TYPES if value == race_type), race_type)


def local_time(iso: str | None, default: str) -> str:
    """An ISO UTC time as local ``YYYY-MM-DD HH:MM``; ``default`` without one."""
    if not iso:
        return default
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
